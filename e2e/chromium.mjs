// The arguments every Chromium of the project is launched with (the end-to-end suite, the
// benchmark, CI's consumer check): no sandbox (CI runs as root), no GPU, and none of Chromium's
// own network traffic, which this machine's closed network refuses.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
