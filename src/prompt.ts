/** Prompt validation shared by the UI (to block early) and the worker (to never trust the page). */

/** Longer prompts are cut: the text encoder reads a handful of words, not an essay. */
export const MAX_PROMPT_CHARS = 500;

export interface CheckedPrompt {
  text: string;
  /** Set when the prompt was changed (trimmed or cut), to be shown to the user. */
  notice: string | null;
}

export function validatePrompt(raw: string): CheckedPrompt {
  const text = raw.replace(/\s+/g, ' ').trim();
  if (!text) throw new Error('Please enter a prompt: it is empty.');
  if (text.length > MAX_PROMPT_CHARS) {
    return {
      text: text.slice(0, MAX_PROMPT_CHARS),
      notice: `The prompt was ${text.length.toLocaleString('en')} characters; only the first ${MAX_PROMPT_CHARS} are used.`,
    };
  }
  return { text, notice: null };
}
