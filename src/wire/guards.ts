/** Type guards for data from outside: messages from other tabs, envelopes on the channel. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A non-empty string of at most `max` characters. */
export function isShortString(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= max;
}
