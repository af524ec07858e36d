/** UI state: what the worker runs on, the current prompt, and the status line. */
import { create } from 'zustand';
import type { Capabilities, KernelCheck } from './types';

export interface HawkState {
  capabilities: Capabilities | null;
  prompt: string;
  status: string;
  busy: boolean;
  error: string | null;
  kernelChecks: KernelCheck[];
  setPrompt(prompt: string): void;
  set(partial: Partial<Omit<HawkState, 'set' | 'setPrompt'>>): void;
}

export const useHawk = create<HawkState>((set) => ({
  capabilities: null,
  prompt: '',
  status: 'Starting the engine…',
  busy: false,
  error: null,
  kernelChecks: [],
  setPrompt: (prompt) => set({ prompt }),
  set: (partial) => set(partial),
}));
