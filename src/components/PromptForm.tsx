/** Prompt box, Generate / Cancel, compare toggle, example chips, what the model can draw, and notices while typing. */
import { useMemo } from 'react';
import { conceptHint } from '../concepts';
import { cancel, generate } from '../generation';
import { validatePrompt } from '../prompt';
import { useHawk } from '../store';
import { ConceptList } from './ConceptList';
import { ExamplePrompts } from './ExamplePrompts';

export function PromptForm() {
  const prompt = useHawk((s) => s.prompt);
  const busy = useHawk((s) => s.busy);
  const compare = useHawk((s) => s.prefs.compare);
  const setPrompt = useHawk((s) => s.setPrompt);
  const setPref = useHawk((s) => s.setPref);
  const concepts = useHawk((s) => s.concepts);
  const hint = useMemo(() => conceptHint(prompt, concepts), [prompt, concepts]);

  // The notice (cut to MAX_PROMPT_CHARS) shows while typing; an empty prompt is only refused on submit.
  const notice = useMemo(() => {
    try {
      return validatePrompt(prompt).notice;
    } catch {
      return null;
    }
  }, [prompt]);

  function submit(event: React.FormEvent) {
    event.preventDefault();
    void generate();
  }

  return (
    <form className="prompt" onSubmit={submit}>
      <div className="prompt-row">
        <label htmlFor="prompt">Prompt</label>
        <input
          id="prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder="a red apple, twemoji"
          autoComplete="off" enterKeyHint="go" aria-describedby={[notice && 'prompt-notice', hint && 'concept-hint'].filter(Boolean).join(' ') || undefined}
        />
        <button type="submit" disabled={busy}>Generate</button>
        <button type="button" className="secondary" disabled={!busy} onClick={() => void cancel()} title="Escape also cancels">Cancel</button>
      </div>
      {notice && <p id="prompt-notice" className="notice" data-testid="prompt-notice" role="status">{notice}</p>}
      {hint && <p id="concept-hint" className="notice" data-testid="concept-hint" role="status">{hint}</p>}
      <ExamplePrompts />
      <ConceptList />
      <label className="toggle">
        <input type="checkbox" checked={compare} disabled={busy} onChange={(e) => setPref('compare', e.target.checked)} />
        Compare with plain AR (runs n = 0, then Hawk, same seed)
      </label>
    </form>
  );
}
