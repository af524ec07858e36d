import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, isComputeBound, validateSettings } from '../src/settings';
import { useHawk } from '../src/store';
import type { Capabilities } from '../src/types';
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
    expect(() => validateSettings({ plausibility: 1.5 })).toThrow('Plausibility cut must be between 0 and 1; got 1.5.');
    expect(() => validateSettings({ plausibility: -0.1 })).toThrow(/Plausibility cut must be between 0 and 1/);
  });
});

const gpu = (adapter: Partial<Extract<Capabilities, { backend: 'webgpu' }>['gpu']['adapter']>): Capabilities => ({
  backend: 'webgpu',
  gpu: { adapter: { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, ...adapter }, features: { shaderF16: true, subgroups: true, timestampQuery: true }, limits: {} },
});

describe('defaults', () => {
  it('are the shortest speculation, the fastest lossless setting measured on SwiftShader and on a real GPU', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ n: 1, vsd: 0, temperature: 1, acceptance: 'lossless', draft: 'hawk' });
    // Guidance as training.guidance's defaults (the model card's grid and the drafts' generated images use them).
    expect(DEFAULT_SETTINGS).toMatchObject({ cfgScale: 3, plausibility: 0.02 });
    expect(() => validateSettings(DEFAULT_SETTINGS)).not.toThrow();
  });

  it('tell compute-bound devices (SwiftShader, the CPU backend) from GPUs, for the advice next to them', () => {
    expect(isComputeBound(gpu({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }))).toBe(true);
    expect(isComputeBound(gpu({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }))).toBe(true);
    expect(isComputeBound({ backend: 'cpu', reason: 'no WebGPU' })).toBe(true);
    expect(isComputeBound(gpu({ vendor: 'nvidia', architecture: 'hopper' }))).toBe(false);
    expect(isComputeBound(null)).toBe(false);
  });

  it('the store keeps the user\'s settings whatever the device; Reset returns to the defaults', () => {
    const { set, setSetting, resetSettings } = useHawk.getState();
    set({ capabilities: { backend: 'cpu', reason: 'no WebGPU' } });
    setSetting('n', 3);
    set({ capabilities: gpu({ vendor: 'nvidia' }) }); // e.g. the user switched backend: their choice stays
    expect(useHawk.getState().settings.n).toBe(3);
    resetSettings();
    expect(useHawk.getState().settings).toEqual(DEFAULT_SETTINGS);
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
