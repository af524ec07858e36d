/**
 * What the shipped model can draw: the concepts its target was trained on (manifest `concepts`, written by
 * training/export.py from training/vocabulary.py). The text encoder reads any word (unknown ones by their GloVe
 * vector), but the target only learnt these, so a prompt that names none of them gets the nearest one.
 */

/** The words the text tokenizer sees (manifest tokenizer rule: lowercase, [a-z0-9]+). */
export function promptWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** How much of the prompt the hint quotes (a pasted essay must not push the page sideways). */
const QUOTE_CHARS = 40;

/** A hint for a prompt none of whose words occurs in any concept; null when one does, or the model names no concepts. */
export function conceptHint(prompt: string, concepts: readonly string[]): string | null {
  const words = promptWords(prompt);
  if (!concepts.length || !words.length) return null;
  const known = new Set(concepts.flatMap(promptWords));
  if (words.some((w) => known.has(w))) return null;
  const text = prompt.trim();
  const quoted = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
  return `No word of “${quoted}” is in what this model was trained to draw, so it draws whichever of its ` +
    `${concepts.length} concepts the words are nearest to. See “What can Hawk draw?” below.`;
}

/** The concepts a manifest lists (strings only; absent or malformed = none, i.e. not limited). */
export function manifestConcepts(manifest: Record<string, unknown>): string[] {
  const c = manifest.concepts;
  return Array.isArray(c) ? c.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}
