// Types of firefox-bidi.mjs (see there).
export declare function letPlaywrightDriveFirefoxEsr(): void;
