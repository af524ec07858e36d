/** What the model can draw, as the prompt box uses it: words as the tokenizer sees them, the hint, the manifest field. */
import { describe, expect, it } from 'vitest';
import { conceptHint, manifestConcepts, promptWords } from '../src/concepts';

const CONCEPTS = ['red apple', 'jack-o-lantern', 'Christmas tree', 'smiling face with heart-eyes'];

describe('concepts', () => {
  it('splits words as the text tokenizer does', () => {
    expect(promptWords('Jack-O-Lantern, twemoji!')).toEqual(['jack', 'o', 'lantern', 'twemoji']);
    expect(promptWords(' ,; ')).toEqual([]);
  });

  it('hints only when no word of the prompt occurs in any concept', () => {
    const hint = conceptHint('  giraffe, noto ', CONCEPTS);
    expect(hint).toContain('No word of “giraffe, noto”');
    expect(hint).toContain('its 4 concepts');
    for (const known of ['red apple, fluent', 'APPLE', 'a christmas thing', 'heart']) expect(conceptHint(known, CONCEPTS)).toBeNull();
  });

  it('quotes a long prompt only in part', () => {
    expect(conceptHint('x'.repeat(2000), CONCEPTS)).toContain(`“${'x'.repeat(40)}…”`);
  });

  it('says nothing for an empty prompt or a model that lists no concepts', () => {
    expect(conceptHint('', CONCEPTS)).toBeNull();
    expect(conceptHint('  , ', CONCEPTS)).toBeNull();
    expect(conceptHint('giraffe', [])).toBeNull();
  });

  it('reads the manifest field defensively', () => {
    expect(manifestConcepts({ concepts: ['sun', '', 3, 'star'] })).toEqual(['sun', 'star']);
    expect(manifestConcepts({ concepts: 'sun' })).toEqual([]);
    expect(manifestConcepts({})).toEqual([]);
  });
});
