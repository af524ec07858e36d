/** One-click example prompts (subjects and styles the emoji model was trained on). */
import { useHawk } from '../store';

export const EXAMPLES = ['red apple, fluent', 'grinning face, twemoji', 'blue heart, noto', 'cat face, fluent', 'sun with face, twemoji'];

export function ExamplePrompts() {
  const setPrompt = useHawk((s) => s.setPrompt);
  // No aria-label with the word "prompt" here: the e2e tests find the prompt box by that label.
  return (
    <div className="chips" role="group" aria-labelledby="examples-title">
      <span id="examples-title" className="chips-title">Try:</span>
      {EXAMPLES.map((text) => (
        <button key={text} type="button" className="chip" onClick={() => setPrompt(text)}>{text}</button>
      ))}
    </div>
  );
}
