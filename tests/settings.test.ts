import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, defaultSettingsFor, isComputeBound, validateSettings } from '../src/settings';
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
  });
});

const gpu = (adapter: Partial<Extract<Capabilities, { backend: 'webgpu' }>['gpu']['adapter']>): Capabilities => ({
  backend: 'webgpu',
  gpu: { adapter: { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, ...adapter }, features: { shaderF16: true, subgroups: true, timestampQuery: true }, limits: {} },
});

describe('device defaults', () => {
  it('shortest speculation where verification is compute-bound (SwiftShader, the CPU backend), the general defaults on a GPU', () => {
    const swiftshader = gpu({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true });
    expect(isComputeBound(swiftshader)).toBe(true);
    expect(isComputeBound({ backend: 'cpu', reason: 'no WebGPU' })).toBe(true);
    expect(isComputeBound(gpu({ vendor: 'nvidia', architecture: 'hopper' }))).toBe(false);
    expect(isComputeBound(null)).toBe(false);
    expect(defaultSettingsFor(swiftshader)).toEqual({ ...DEFAULT_SETTINGS, n: 1, vsd: 0 });
    expect(defaultSettingsFor(gpu({ vendor: 'nvidia' }))).toEqual(DEFAULT_SETTINGS);
    expect(() => validateSettings(defaultSettingsFor(swiftshader))).not.toThrow();
  });

  it('the store applies them when the device becomes known, unless the user chose settings; Reset returns to them', () => {
    const cpu: Capabilities = { backend: 'cpu', reason: 'no WebGPU' };
    const { set, setSetting, resetSettings } = useHawk.getState();
    set({ capabilities: cpu });
    expect(useHawk.getState().settings).toMatchObject({ n: 1, vsd: 0 });
    setSetting('n', 3);
    set({ capabilities: gpu({ vendor: 'nvidia' }) }); // e.g. the user switched backend: their choice stays
    expect(useHawk.getState().settings.n).toBe(3);
    resetSettings();
    expect(useHawk.getState().settings).toEqual(DEFAULT_SETTINGS);
    set({ capabilities: cpu });
    expect(useHawk.getState().settings).toMatchObject({ n: 1, vsd: 0 });
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
