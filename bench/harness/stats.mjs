// Timing and statistics helpers: sleep, median, percentiles, and the "median (min, max)" cell.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const sorted = (xs) => [...xs].sort((a, b) => a - b);

export function median(xs) {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The p-th percentile, nearest rank: the smallest value with at least p% of the values at or below it. */
export const pct = (xs, p) => sorted(xs)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

export const summary = (xs, digits = 2) =>
  `${median(xs).toFixed(digits)} (min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)})`;
