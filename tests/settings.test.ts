import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, validateSettings } from '../src/settings';
import { validatePrompt } from '../src/prompt';

describe('settings validation', () => {
  it('accepts the defaults and fills missing fields from them', () => {
    expect(validateSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(validateSettings({ n: 0, temperature: 0 })).toMatchObject({ n: 0, temperature: 0, vsd: DEFAULT_SETTINGS.vsd });
  });

  it('names every out-of-range or malformed field', () => {
    expect(() => validateSettings({ n: 9 })).toThrow('Speculation length must be between 0 and 8; got 9.');
    expect(() => validateSettings({ n: 2.5 })).toThrow('Speculation length must be a whole number; got 2.5.');
    expect(() => validateSettings({ topP: 0 })).toThrow(/Top-p must be between 0.01 and 1/);
    expect(() => validateSettings({ temperature: Number.NaN })).toThrow('Temperature must be a number.');
    expect(() => validateSettings({ acceptance: 'sloppy' as never })).toThrow(/Acceptance must be/);
    expect(() => validateSettings({ n: -1, cfgScale: 11 })).toThrow(/Speculation length .* Guidance scale/);
    expect(() => validateSettings(null)).toThrow('Settings must be an object.');
  });
});

describe('prompt validation', () => {
  it('refuses an empty prompt', () => {
    expect(() => validatePrompt('   \n ')).toThrow(/empty/);
  });
  it('cuts a huge prompt and says so', () => {
    const r = validatePrompt('cat '.repeat(2500));
    expect(r.text.length).toBe(500);
    expect(r.notice).toMatch(/9,999 characters/);
  });
  it('keeps emoji and non-Latin text', () => {
    expect(validatePrompt(' 🍎  красное яблоко ').text).toBe('🍎 красное яблоко');
  });
});
