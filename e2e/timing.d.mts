// Types of timing.mjs (see there).
export declare const POLL_MS: 500;
export declare const LEEWAY_S: 1.5;
export declare const CUTOFF_S: 0.5;
export declare const SHORT_TTL_S: 5;
export declare const LONG_TTL_S: 60;
