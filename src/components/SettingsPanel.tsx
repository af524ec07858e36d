/** Every GenerateSettings field, validated as it changes, persisted, with Reset to defaults. */
import { useId } from 'react';
import { chooseBackend } from '../engineHost';
import { DEFAULT_SETTINGS, isComputeBound, validateSettings } from '../settings';
import { type BackendChoice, useHawk } from '../store';
import type { GenerateSettings } from '../types';
import { type NumberKey, NumberField } from './NumberField';

/** The message for one field alone: validate it over the (valid) defaults so others' problems stay theirs. */
export function fieldError(key: keyof GenerateSettings, value: unknown): string | null {
  try {
    validateSettings({ ...DEFAULT_SETTINGS, [key]: value });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A 32-bit seed from the browser's random source. */
function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

const STEPS: Partial<Record<NumberKey, number>> = { temperature: 0.05, topP: 0.01, cfgScale: 0.5, plausibility: 0.01 };

export function SettingsPanel() {
  const settings = useHawk((s) => s.settings);
  const busy = useHawk((s) => s.busy);
  const backend = useHawk((s) => s.prefs.backend);
  const capabilities = useHawk((s) => s.capabilities);
  const { setSetting, resetSettings, setPref } = useHawk.getState();
  const autoHelpId = useId(), draftId = useId(), draftHelpId = useId(), backendId = useId(), backendHelpId = useId();

  const number = (key: NumberKey, extra: { slider?: boolean; children?: React.ReactNode } = {}) => (
    <NumberField
      field={key} value={settings[key]} error={fieldError(key, settings[key])} step={STEPS[key]}
      onChange={(v) => setSetting(key, v)} slider={extra.slider}
    >
      {extra.children}
    </NumberField>
  );

  function pickBackend(choice: BackendChoice) {
    setPref('backend', choice);
    void chooseBackend(choice);
  }

  return (
    <section className="settings" aria-labelledby="settings-title">
      <div className="section-head">
        <h2 id="settings-title">Settings</h2>
        <button type="button" className="secondary small" onClick={resetSettings}>Reset to defaults</button>
      </div>
      <div className="settings-grid">
        {number('n', { slider: true })}
        <p className="note" data-testid="speculation-advice">
          {isComputeBound(capabilities)
            ? 'This device computes every verified token in full (a CPU-emulated GPU or the CPU backend): keep speculation short, n = 1 or 2, even for greedy decoding.'
            : 'At temperature 1 the default n = 1 is fastest. Greedy decoding (temperature 0) accepts far more: there n = 8 ran 2.4× as fast as plain decoding on an NVIDIA H200.'}
        </p>
        {number('vsd')}
        {number('treeWidth')}
        <div className="field">
          <label className="toggle" title="Grow the speculation length on flat background, shrink it on detail.">
            <input
              type="checkbox" checked={settings.autoSpeculation} aria-describedby={autoHelpId}
              onChange={(e) => setSetting('autoSpeculation', e.target.checked)}
            />
            Automatic speculation
          </label>
          <span id={autoHelpId} className="visually-hidden">Grow the speculation length on flat background, shrink it on detail.</span>
        </div>
        {number('temperature')}
        {number('topK')}
        {number('topP')}
        {number('cfgScale')}
        {number('plausibility')}
        {number('seed', {
          children: <button type="button" className="secondary small" onClick={() => setSetting('seed', randomSeed())}>Randomise</button>,
        })}
        <fieldset className="field">
          <legend title="How drafted tokens are accepted.">Acceptance</legend>
          <label className="toggle">
            <input type="radio" name="acceptance" value="lossless" checked={settings.acceptance === 'lossless'} onChange={() => setSetting('acceptance', 'lossless')} />
            Lossless (exactly the target's distribution)
          </label>
          <label className="toggle">
            <input type="radio" name="acceptance" value="relaxed" checked={settings.acceptance === 'relaxed'} aria-describedby="relaxed-note" onChange={() => setSetting('acceptance', 'relaxed')} />
            Relaxed
          </label>
          <span id="relaxed-note" className="note">not lossless: accepts a drafted token when the target likes its near-identical VQ codes; with the shipped models it is slower and its images often garble (README, Hawk vs plain AR)</span>
        </fieldset>
        <div className="field">
          <label htmlFor={draftId} title="The spatial Hawk draft, or the 1D ablation draft for comparisons.">Draft model</label>
          <select id={draftId} value={settings.draft} aria-describedby={draftHelpId} onChange={(e) => setSetting('draft', e.target.value as GenerateSettings['draft'])}>
            <option value="hawk">Hawk (spatial)</option>
            <option value="ablation">Ablation (1D)</option>
          </select>
          <span id={draftHelpId} className="visually-hidden">The spatial Hawk draft, or the 1D ablation draft for comparisons.</span>
        </div>
        <div className="field">
          <label htmlFor={backendId} title="Where the models run. Auto uses WebGPU when the browser has it.">Backend</label>
          <select id={backendId} value={backend} disabled={busy} aria-describedby={backendHelpId} onChange={(e) => pickBackend(e.target.value as BackendChoice)}>
            <option value="auto">Auto</option>
            <option value="webgpu">WebGPU</option>
            <option value="cpu">CPU</option>
          </select>
          <span id={backendHelpId} className="visually-hidden">Where the models run. Auto uses WebGPU when the browser has it.</span>
        </div>
      </div>
    </section>
  );
}
