// Types of chromium.mjs (see there).
export declare const CHROMIUM_ARGS: readonly string[];
