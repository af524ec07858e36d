/**
 * A numeric setting with its NUMBER_RULES label, limits, help (tooltip and aria-describedby) and
 * its validation message next to it. The text the user types is kept as typed ("0." while typing
 * "0.5") and pushed to the store as a number; an empty box is NaN, which validation reports.
 */
import { type ReactNode, useEffect, useId, useState } from 'react';
import { NUMBER_RULES } from '../settings';

export type NumberKey = keyof typeof NUMBER_RULES;

interface Props {
  field: NumberKey;
  value: number;
  error: string | null;
  onChange(value: number): void;
  step?: number;
  /** Show a range slider next to the box (both edit the same value). */
  slider?: boolean;
  /** Extra controls after the box (the seed's Randomise button). */
  children?: ReactNode;
}

export function NumberField({ field, value, error, onChange, step, slider, children }: Props) {
  const rule = NUMBER_RULES[field];
  const id = useId();
  const [text, setText] = useState(String(value));
  // Follow outside changes (Reset, history restore, slider) without fighting the user's typing.
  useEffect(() => {
    setText((t) => (Number(t) === value && t.trim() !== '' ? t : Number.isFinite(value) ? String(value) : t));
  }, [value]);

  function edit(next: string) {
    setText(next);
    onChange(next.trim() === '' ? Number.NaN : Number(next));
  }

  const describedBy = `${id}-help${error ? ` ${id}-error` : ''}`;
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id} title={rule.help}>{rule.label}</label>
      <div className="field-controls">
        {slider && (
          <input
            type="range" min={rule.min} max={rule.max} step={step ?? 1} value={Number.isFinite(value) ? value : rule.min}
            aria-label={`${rule.label} (slider)`} title={rule.help} onChange={(e) => edit(e.target.value)}
          />
        )}
        <input
          id={id} type="number" inputMode={rule.integer ? 'numeric' : 'decimal'} min={rule.min} max={rule.max}
          step={step ?? (rule.integer ? 1 : 'any')} value={text} title={rule.help}
          aria-describedby={describedBy} aria-invalid={error ? true : undefined} onChange={(e) => edit(e.target.value)}
        />
        {children}
      </div>
      <span id={`${id}-help`} className="visually-hidden">{rule.help} From {rule.min} to {rule.max}.</span>
      {error && <p id={`${id}-error`} className="field-error" data-testid={`error-${field}`}>{error}</p>}
    </div>
  );
}
