// The fast timing that the end-to-end scenarios (e2e/; tabs.ts puts it in the URL) and the benchmark
// (bench/harness/settings.mjs) both run the playground with: one place, so the two measure the same thing.
// Plain JavaScript, so that Node runs it as it is; its types are in timing.d.mts.

/** The leader's poll period the pages run with (ms). */
export const POLL_MS = 500;
/** Refresh once remaining life <= this (s). The library requires >= CUTOFF_S + 2 * POLL_MS / 1000. */
export const LEEWAY_S = 1.5;
/** Never serve a token with <= this remaining (s). */
export const CUTOFF_S = 0.5;
/** Short-lived tokens, so that several lifetimes pass in seconds (usable 4 s: stale 2.5 s after its fetch began). */
export const SHORT_TTL_S = 5;
/** Long-lived tokens, for scenarios where a refresh in the middle would blur a count. */
export const LONG_TTL_S = 60;
