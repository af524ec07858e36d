/** One colour per token source, shared by the overlay and its legend. */
import type { TokenSource } from '../types';

export const SOURCE_COLORS: Record<TokenSource, string> = {
  horizontal: '#1f77ff',
  vertical: '#ff9f1a',
  target: '#8a8a8a',
};

export const SOURCE_LABELS: Record<TokenSource, string> = {
  horizontal: 'horizontal draft',
  vertical: 'vertical draft',
  target: 'target',
};
