/** "What can Hawk draw?": the concepts the model was trained on, each a chip that puts it in the prompt box. */
import { useHawk } from '../store';

export function ConceptList() {
  const concepts = useHawk((s) => s.concepts);
  const setPrompt = useHawk((s) => s.setPrompt);
  if (!concepts.length) return null;
  return (
    <details className="concepts" data-testid="concepts">
      <summary>What can Hawk draw? {concepts.length} things, each in the noto, fluent or twemoji design</summary>
      <div className="chips">
        {concepts.map((c) => (
          <button key={c} type="button" className="chip" onClick={() => setPrompt(c)}>{c}</button>
        ))}
      </div>
    </details>
  );
}
