// The settings every row shares: the dev server's address, the fast timing of the end-to-end
// suite (e2e/timing.mjs), and how many times the repeated rows run.

import * as timing from '../../e2e/timing.mjs';

export const PORT = Number(process.env.BENCH_PORT) || 5290;
export const BASE = `http://localhost:${PORT}`;
// The fast timing the e2e scenarios run with too: poll 500 ms, leeway 1.5 s, cutoff 0.5 s, and
// tokens of 5 s (usable 4 s: a token is stale 2.5 s after its fetch began, refreshed at the next poll).
export const { POLL_MS: POLL, LEEWAY_S: LEEWAY, CUTOFF_S: CUTOFF, SHORT_TTL_S: TTL } = timing;
export const REPEATS = Number(process.env.BENCH_REPEATS) || 3;
