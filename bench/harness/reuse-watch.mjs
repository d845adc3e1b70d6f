// Watching the token server for forced sign-outs (tables 8 and 9): from the sign-in on, read
// /api/stats every STATS_POLL_MS; when `reuseDetected` has grown (a refresh-token family or a
// grant was revoked: every tab is signed out), record when, and sign in again as the user would
// have to.

import { api } from './playground.mjs';
import { sleep } from './stats.mjs';

/** How often /api/stats is read for a new reuse (ms): a reuse is seen up to this late. */
export const STATS_POLL_MS = 50;

/**
 * Starts watching: `baseline` is reuseDetected before the sign-in, `t0` its time; `signInAgain`
 * runs after each new reuse. Set `stop` and await `done` to end it; `detections` are the times
 * (ms after `t0`) each reuse was seen, `signIns` how many times it signed in again.
 */
export function watchReuse({ baseline, t0, signInAgain }) {
  const watch = { stop: false, detections: [], signIns: 0 };
  watch.done = (async () => {
    let seen = baseline;
    while (!watch.stop) {
      const { reuseDetected } = await api('/api/stats');
      if (reuseDetected > seen) {
        const at = Date.now() - t0;
        for (let i = seen; i < reuseDetected; i++) watch.detections.push(at);
        seen = reuseDetected;
        await signInAgain();
        watch.signIns++;
      } else {
        await sleep(STATS_POLL_MS);
      }
    }
  })();
  watch.done.catch(() => {}); // a failure is thrown where `done` is awaited, not as an unhandled rejection
  return watch;
}
