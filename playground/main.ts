// The playground's dashboard: wiring only. Each card is a module of ui/ (see docs/playground.md):
//   token-panel     the token this tab holds, and its countdown
//   protected-panel the app's own calls: GET /api/protected once a second through tokens.fetch
//   server-panel    the token server's counters and settings
//   group / group-panel       every open tab of the group, live (a channel of the page's own)
//   timeline / timeline-panel the server's requests against the uncoordinated cost
//   options-panel   the cache's resolved options (tokens.options), and the URL form
//   actions         the buttons;  session  signed in or out, and the one handler of failed calls
//   identity        who is signed in, and "Sign in as another user" (the identity event, R30)
//   workers         a dedicated, a shared and a service worker in the group (R32; for the tests)
//
// `?ssr=1`: the server renders a token into the page (<meta name="ssr-token">), which the page
// seeds its cache with (R31): the group makes no request for it.
//
// Options come from the URL (app.ts): ?poll=500&leeway=1.5&cutoff=0.5&idle=30&exclusive=1&name=demo.
// The cache is exposed as `window.tokenCache` for the console and for the end-to-end tests.

import { createTokenCache, type TokenCache } from '../src/index';
import { cacheName, cacheOptions, key } from './app';
import { completeOpenIdSignIn, isOpenIdAnswer } from './openid/sign-in';
import { type ActionHooks, markSignedIn, renderSignedIn, startActions } from './ui/actions';
import { el, setText } from './ui/dom';
import { joinGroup } from './ui/group';
import { startGroupPanel } from './ui/group-panel';
import { startIdentity } from './ui/identity';
import { log } from './ui/log';
import { showOptions, startOptionsForm } from './ui/options-panel';
import { callProtected, showProtected } from './ui/protected-panel';
import { startServerPanel } from './ui/server-panel';
import { callFailed, describeError, session, showLastError } from './ui/session';
import { startTabStats } from './ui/tab-stats';
import { startTimelinePanel } from './ui/timeline-panel';
import { createTokenPanel, jtiOf } from './ui/token-panel';
import { startWorkers } from './ui/workers';

declare global {
  interface Window {
    /** The page's cache, for the browser console and for tests. */
    tokenCache: TokenCache;
  }
}

function fail(error: unknown, what = 'createTokenCache', fix = 'Fix the URL parameters and reload.'): void {
  const { code, message } = describeError(error);
  showLastError({ code, message });
  const fatal = el('fatal');
  fatal.hidden = false;
  fatal.textContent = `${what} failed (${code}): ${message}. ${fix}`;
  for (const id of ['refresh-now', 'sign-out', 'sign-in', 'close-leader'])
    el<HTMLButtonElement>(id).disabled = true;
  log('error', `${what}: ${code}: ${message}`);
}

function start(cache: TokenCache): void {
  window.tokenCache = cache;
  const role = () => (cache.isLeader ? 'leader' : 'follower');
  const token = createTokenPanel(key, cache.options);
  const group = joinGroup(cacheName, { role: role(), jti: null, fetches: 0, newsAt: null, signedIn: true });
  const timeline = startTimelinePanel(group);
  showOptions(key, cache.options);
  startOptionsForm();
  startServerPanel(key);
  startGroupPanel(group);
  startTabStats(cache);

  // The group's leader: a change is marked on the timeline, seen from any tab.
  let leaderId: string | undefined;
  group.onChange(() => {
    const leader = group.tabs().find((tab) => tab.role === 'leader');
    if (!leader || leader.id === leaderId) return;
    const why = leader.leaderReason ? ` (${leader.leaderReason})` : '';
    if (leaderId !== undefined) timeline.mark('leader', `tab ${leader.id} took the lead${why}`);
    leaderId = leader.id;
  });

  const signedOut = () => {
    if (session.signedIn) session.epoch++;
    session.signedIn = false;
    token.drop();
    renderSignedIn();
    showProtected('—', 'paused: signed out', 'idle');
    group.update({ jti: null, signedIn: false, newsAt: Date.now() });
  };
  const hooks: ActionHooks = {
    signedOut,
    signedIn: () => {
      token.tick();
      group.update({ signedIn: true });
      void callProtected(cache, key);
    },
  };
  startActions(cache, key, group, hooks);

  cache.on('token', (event) => {
    const left = ((event.expiresAt - Date.now()) / 1000).toFixed(1);
    const { jti } = jtiOf(event.token);
    log('token', `${event.source} · key "${event.key}" · jti ${jti.slice(0, 8)}… · ${left} s left`);
    if (event.key !== key) return;
    // A token after a sign-out is another tab's sign-in (the library sends none from before it).
    if (!session.signedIn) markSignedIn(hooks, 'signed in from another tab: its new token arrived');
    session.tokenEvents++;
    showLastError(null); // "last error" is the error since the last good token
    token.show(event);
    group.update({ jti, newsAt: Date.now() });
  });
  const showRole = () => {
    const now = role();
    setText(el('role'), now);
    el('role').dataset.role = now;
    document.title = `${now} · ${group.self.id} · tab-token-cache playground`;
    group.update({ role: now, fetches: cache.stats().fetches });
  };
  cache.on('leader', (event) => {
    log(
      'leader',
      `${event.isLeader ? 'this tab became the leader' : 'this tab is a follower'}: ${event.reason}`,
    );
    group.update({ leaderReason: event.reason });
    showRole();
  });
  cache.on('error', (event) => {
    if (event.key === key) callFailed(`key "${event.key}"`, event.error);
    else log('error', `key "${event.key}": ${describeError(event.error).message}`);
  });
  cache.on('clear', (event) => {
    const how =
      event.origin === 'server'
        ? `signed out by the server: ${event.reason ?? ''}`
        : event.origin === 'local'
          ? 'signed out from this tab'
          : 'signed out from another tab';
    log('clear', how);
    timeline.mark('sign-out', how);
    el('signed-out').dataset.origin = event.origin;
    signedOut();
  });
  startIdentity(cache, key, (label) => timeline.mark('sign-in', label));
  startWorkers(cache);

  // A token the server rendered into the page (?ssr=1): the cache starts with it (R31).
  const rendered = document.querySelector<HTMLMetaElement>('meta[name="ssr-token"]')?.content;
  if (rendered) {
    cache.seed(key, rendered).then(
      (kept) =>
        log('token', kept ? 'seeded with the token the server rendered' : 'the group held a newer token'),
      (error: unknown) => log('error', `seed: ${describeError(error).message}`),
    );
  }

  renderSignedIn();
  log('page', `tab ${group.self.id} opened: cache "${cacheName}", key "${key}"`);
  // The app: one protected call a second, starting now.
  void callProtected(cache, key);
  setInterval(() => void callProtected(cache, key), 1000);
  // This tab's row: role and fetches, checked four times a second; the countdown ten times.
  showRole();
  setInterval(showRole, 250);
  setInterval(() => token.tick(), 100);
}

// The provider's answer to this tab's "Sign in with OpenID": the page only finishes the sign-in,
// then goes back to where it began (openid/sign-in.ts).
if (isOpenIdAnswer()) {
  completeOpenIdSignIn().catch((error: unknown) =>
    fail(error, 'Sign in with OpenID', 'Go back and sign in again.'),
  );
} else {
  let cache: TokenCache | undefined;
  try {
    cache = createTokenCache(cacheOptions());
  } catch (error) {
    fail(error);
  }
  if (cache) start(cache);
}
