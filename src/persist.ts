/** localStorage with the failures a browser may throw (private mode, quota, corrupt JSON) absorbed. */

export const KEYS = {
  settings: 'hawk.settings.v1',
  prefs: 'hawk.prefs.v1',
  history: 'hawk.history.v1',
} as const;

export function readJson<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}

/** Returns false when the browser refused the write (quota), so callers can store less and retry. */
export function writeJson(key: string, value: unknown): boolean {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

export function removeKey(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // nothing stored, nothing to remove
  }
}
