// The playground page: one tab's live dashboard of tab-token-cache.
//
// Options come from the URL: ?poll=500&leeway=1.5&cutoff=0.5&timeout=10000&name=demo&key=default
// (poll and timeout in ms, leeway and cutoff in seconds; a missing one keeps the library default).
// The cache is exposed as `window.tokenCache` for the console and for the end-to-end tests.

import { decodeJwt, type JWTPayload } from 'jose';
// Extensionless on purpose: the repo's tsconfig does not allow `.ts` in import paths, and Vite
// resolves this to ../src/index.ts (the library's sources, not a build).
import { createTokenCache, type TokenCache, TokenCacheError, type TokenSource } from '../src/index';
import {
  cacheName,
  cacheOptions,
  cutoffSeconds,
  fetchTimeoutMs,
  isRecord,
  key,
  LIBRARY_DEFAULTS,
  leewaySeconds,
  pollIntervalMs,
  readJson,
} from './app';

type ServerMode = 'ok' | 'fail' | 'garbage';

declare global {
  interface Window {
    /** The page's cache, for the browser console and for tests. */
    tokenCache: TokenCache;
  }
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`playground: #${id} is missing from index.html`);
  return found as T;
}

const ui = {
  meta: el('meta'),
  role: el('role'),
  fatal: el('fatal'),
  signedOut: el('signed-out'),
  openTab: el<HTMLButtonElement>('open-tab'),
  refreshNow: el<HTMLButtonElement>('refresh-now'),
  signOut: el<HTMLButtonElement>('sign-out'),
  signIn: el<HTMLButtonElement>('sign-in'),
  lastError: el('last-error'),
  lastErrorMessage: el('last-error-message'),
  tokenKey: el('token-key'),
  freshness: el('freshness'),
  expiresIn: el('expires-in'),
  bar: el('bar'),
  barFill: el('bar-fill'),
  markLeeway: el('mark-leeway'),
  markCutoff: el('mark-cutoff'),
  jti: el('token-jti'),
  source: el('source'),
  claimSub: el('claim-sub'),
  claimKey: el('claim-key'),
  claimIat: el('claim-iat'),
  claimExp: el('claim-exp'),
  received: el('token-received'),
  protectedStatus: el('protected-status'),
  protectedDetail: el('protected-detail'),
  protectedOk: el('protected-ok'),
  protectedRefused: el('protected-refused'),
  protectedSkipped: el('protected-skipped'),
  serverRequests: el('server-requests'),
  serverRequestsKey: el('server-requests-key'),
  serverAccepted: el('server-accepted'),
  serverRejected: el('server-rejected'),
  serverMode: el<HTMLSelectElement>('server-mode'),
  serverTtl: el<HTMLInputElement>('server-ttl'),
  serverLatency: el<HTMLInputElement>('server-latency'),
  serverReset: el<HTMLButtonElement>('server-reset'),
  serverNote: el('server-note'),
  tabStats: el('tab-stats'),
  log: el('event-log'),
};

function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof TokenCacheError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'error', message: String(error) };
}

// ---------------------------------------------------------------------------------------------
// Event log

type LogKind = 'token' | 'leader' | 'error' | 'clear' | 'page' | 'server';
const LOG_LIMIT = 50;

function log(kind: LogKind, text: string): void {
  const item = document.createElement('li');
  item.className = `log-item log-${kind}`;
  item.dataset.kind = kind;
  const time = document.createElement('time');
  time.textContent = clock(Date.now());
  const badge = document.createElement('span');
  badge.className = 'log-kind';
  badge.textContent = kind;
  const body = document.createElement('span');
  body.className = 'log-text';
  body.textContent = text;
  item.append(time, badge, body);
  ui.log.prepend(item);
  while (ui.log.children.length > LOG_LIMIT) ui.log.lastElementChild?.remove();
}

// ---------------------------------------------------------------------------------------------
// Page state

interface CurrentToken {
  jti: string;
  claims: JWTPayload;
  source: TokenSource;
  /** Wall-clock epoch ms at which the library stops serving it (from the token event). */
  expiresAt: number;
  receivedAt: number;
}

const state = {
  signedIn: true,
  /** Bumped by every sign-out and sign-in, so that a call begun before one is not acted on. */
  session: 0,
  current: null as CurrentToken | null,
  /** Token events seen for this page's key: a call that fails after a newer token arrived is
   * reported in the log but does not become "last error". */
  tokenEvents: 0,
  lastError: null as { code: string; message: string } | null,
  protectedBusy: false,
  protectedOk: 0,
  protectedRefused: 0,
  protectedSkipped: 0,
  lastProtected: '',
  serverModeSending: false,
};

function setLastError(error: { code: string; message: string } | null): void {
  state.lastError = error;
  setText(ui.lastError, error?.code ?? '');
  setText(ui.lastErrorMessage, error?.message ?? '');
  ui.lastErrorMessage.title = error?.message ?? '';
}

function renderSignedIn(): void {
  ui.signedOut.hidden = state.signedIn;
  document.body.classList.toggle('is-signed-out', !state.signedIn);
  ui.signIn.disabled = state.signedIn;
  ui.signIn.classList.toggle('primary', !state.signedIn);
  ui.refreshNow.disabled = !state.signedIn;
}

function renderMeta(): void {
  const parts: [string, string][] = [
    ['name', cacheName],
    ['key', key],
    ['poll', `${pollIntervalMs ?? LIBRARY_DEFAULTS.pollIntervalMs} ms`],
    ['leeway', `${leewaySeconds} s`],
    ['cutoff', `${cutoffSeconds} s`],
  ];
  if (fetchTimeoutMs !== undefined) parts.push(['timeout', `${fetchTimeoutMs} ms`]);
  ui.meta.replaceChildren(
    ...parts.map(([label, value]) => {
      const span = document.createElement('span');
      span.className = 'meta-item';
      const b = document.createElement('b');
      b.textContent = value;
      span.append(`${label} `, b);
      return span;
    }),
  );
  setText(ui.tokenKey, `key “${key}”`);
}

function renderToken(): void {
  const current = state.current;
  setText(ui.jti, current?.jti ?? '—');
  setText(ui.source, current?.source ?? '—');
  ui.source.dataset.source = current?.source ?? '';
  const claim = (value: unknown) => (value === undefined ? '—' : String(value));
  const time = (seconds: unknown) =>
    typeof seconds === 'number' ? `${seconds} · ${clock(seconds * 1000).slice(0, 8)}` : '—';
  setText(ui.claimSub, claim(current?.claims.sub));
  setText(ui.claimKey, claim(current?.claims.key));
  setText(ui.claimIat, time(current?.claims.iat));
  setText(ui.claimExp, time(current?.claims.exp));
  setText(ui.received, current ? clock(current.receivedAt) : '—');
}

/** Runs often: the countdown and its colour. */
function renderCountdown(): void {
  const current = state.current;
  if (!current) {
    setText(ui.expiresIn, '—');
    setText(ui.freshness, state.signedIn ? 'no token yet' : 'no token (signed out)');
    ui.expiresIn.dataset.state = 'none';
    ui.bar.dataset.state = 'none';
    ui.barFill.style.width = '0%';
    return;
  }
  const remaining = Math.max(0, (current.expiresAt - Date.now()) / 1000);
  const freshness = remaining > leewaySeconds ? 'fresh' : remaining > cutoffSeconds ? 'stale' : 'unservable';
  // Usable life as the library counts it: exp - iat - 1 s.
  const { exp, iat } = current.claims;
  const life =
    typeof exp === 'number' && typeof iat === 'number' && exp - iat - 1 > 0
      ? exp - iat - 1
      : Math.max(remaining, 1);
  setText(ui.expiresIn, remaining.toFixed(1));
  ui.expiresIn.dataset.state = freshness;
  ui.bar.dataset.state = freshness;
  setText(
    ui.freshness,
    freshness === 'fresh'
      ? 'fresh'
      : freshness === 'stale'
        ? 'stale: served, refresh under way'
        : 'unservable: next call waits for a fetch',
  );
  const percent = (seconds: number) => `${Math.min(100, Math.max(0, (seconds / life) * 100))}%`;
  ui.barFill.style.width = percent(remaining);
  ui.markLeeway.style.left = percent(leewaySeconds);
  ui.markCutoff.style.left = percent(cutoffSeconds);
}

function renderRole(cache: TokenCache): void {
  const role = cache.isLeader ? 'leader' : 'follower';
  if (ui.role.dataset.role === role && ui.role.textContent === role) return;
  setText(ui.role, role);
  ui.role.dataset.role = role;
  document.title = `${role} · tab-token-cache playground`;
}

function renderTabStats(cache: TokenCache): void {
  const entries = Object.entries(cache.stats()).map(([name, value]: [string, unknown]) => [
    name,
    typeof value === 'object' ? JSON.stringify(value) : String(value),
  ]);
  // Rebuild only when something changed: cheap with many tabs open, and text selection survives.
  const signature = JSON.stringify(entries);
  if (ui.tabStats.dataset.signature === signature) return;
  ui.tabStats.dataset.signature = signature;
  ui.tabStats.replaceChildren(
    ...entries.flatMap(([name = '', text = '']) => {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.dataset.stat = name;
      dd.textContent = text;
      return [dt, dd];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The app's calls: /api/protected once a second, through tokens.fetch()

async function callProtected(cache: TokenCache): Promise<void> {
  if (!state.signedIn) return;
  if (state.protectedBusy) {
    // The previous call still waits (e.g. for a slow token server); do not pile up.
    state.protectedSkipped++;
    setText(ui.protectedSkipped, String(state.protectedSkipped));
    return;
  }
  state.protectedBusy = true;
  const session = state.session;
  const tokenEvents = state.tokenEvents;
  try {
    // tokens.fetch: the Authorization header, and one retry with a new token on a 401 (R25).
    const res = await cache.fetch('/api/protected', { tokenKey: key });
    if (session !== state.session || !state.signedIn) return;
    const body = await readJson(res);
    if (session !== state.session) return;
    let status: string;
    let detail: string;
    if (res.ok) {
      state.protectedOk++;
      status = String(res.status);
      detail = isRecord(body) ? `sub ${String(body.sub)} · key ${String(body.key)}` : '';
    } else {
      state.protectedRefused++;
      const reason = isRecord(body) && typeof body.error === 'string' ? body.error : '';
      status = `${res.status}${reason ? ` ${reason}` : ''}`;
      detail = 'refused by the API';
    }
    showProtected(status, detail, res.ok ? 'ok' : 'refused');
  } catch (error) {
    if (session !== state.session) return;
    const { code, message } = describeError(error);
    if (code === 'cleared' || code === 'closed') return; // a sign-out overtook the call
    log('error', `getToken("${key}") rejected: ${code}: ${message}`);
    if (state.tokenEvents !== tokenEvents) return; // a newer token arrived meanwhile
    showProtected('no token', `getToken failed: ${code}`, 'error');
    setLastError({ code, message });
  } finally {
    state.protectedBusy = false;
  }
}

function showProtected(status: string, detail: string, tone: 'ok' | 'refused' | 'error' | 'idle'): void {
  setText(ui.protectedStatus, status);
  setText(ui.protectedDetail, detail);
  ui.protectedStatus.dataset.tone = tone;
  setText(ui.protectedOk, String(state.protectedOk));
  setText(ui.protectedRefused, String(state.protectedRefused));
  if (status !== state.lastProtected) {
    if (state.lastProtected !== '' || tone !== 'ok') log('page', `/api/protected: ${status}`);
    state.lastProtected = status;
  }
}

// ---------------------------------------------------------------------------------------------
// The token server's side of the dashboard

interface ControlState {
  ttlSeconds: number;
  latencyMs: number;
  mode: ServerMode;
}

function isControlState(value: unknown): value is ControlState {
  return (
    isRecord(value) &&
    typeof value.ttlSeconds === 'number' &&
    typeof value.latencyMs === 'number' &&
    (value.mode === 'ok' || value.mode === 'fail' || value.mode === 'garbage')
  );
}

function showControl(control: ControlState): void {
  const active = document.activeElement;
  if (active !== ui.serverMode && !state.serverModeSending) ui.serverMode.value = control.mode;
  if (active !== ui.serverTtl) ui.serverTtl.value = String(control.ttlSeconds);
  if (active !== ui.serverLatency) ui.serverLatency.value = String(control.latencyMs);
  document.body.dataset.serverMode = control.mode;
  setText(
    ui.serverNote,
    control.mode === 'ok'
      ? `Issues ES256 tokens living ${control.ttlSeconds} s${control.latencyMs ? `, after ${control.latencyMs} ms` : ''}.`
      : control.mode === 'fail'
        ? 'Failing: every token request gets 503.'
        : 'Garbage: every token request gets a string that is not a JWT.',
  );
}

/** POST /api/control; `{}` reads the state without changing it. */
async function sendControl(change: Partial<ControlState>): Promise<ControlState | undefined> {
  const res = await fetch('/api/control', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  const body = await readJson(res);
  if (!res.ok) {
    const reason = isRecord(body) && typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
    throw new Error(reason);
  }
  if (!isControlState(body)) throw new Error('unexpected answer from /api/control');
  showControl(body);
  return body;
}

async function changeControl(change: Partial<ControlState>): Promise<void> {
  try {
    const control = await sendControl(change);
    if (control) log('server', `control: ${JSON.stringify(change)}`);
  } catch (error) {
    log('server', `control ${JSON.stringify(change)} refused: ${describeError(error).message}`);
    void sendControl({}).catch(() => {});
  }
}

async function pollServer(): Promise<void> {
  try {
    const res = await fetch('/api/stats');
    const body = await readJson(res);
    if (
      res.ok &&
      isRecord(body) &&
      typeof body.requests === 'number' &&
      typeof body.accepted === 'number' &&
      typeof body.rejected === 'number'
    ) {
      setText(ui.serverRequests, String(body.requests));
      setText(ui.serverAccepted, String(body.accepted));
      setText(ui.serverRejected, String(body.rejected));
      const forKey = isRecord(body.byKey) ? body.byKey[key] : undefined;
      setText(ui.serverRequestsKey, String(typeof forKey === 'number' ? forKey : 0));
      document.body.classList.remove('server-down');
    }
  } catch {
    document.body.classList.add('server-down');
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function start(): void {
  renderMeta();
  renderSignedIn();
  renderToken();
  renderCountdown();

  let cache: TokenCache;
  try {
    cache = createTokenCache(cacheOptions());
  } catch (error) {
    const { code, message } = describeError(error);
    setLastError({ code, message });
    ui.fatal.hidden = false;
    ui.fatal.textContent = `createTokenCache failed (${code}): ${message}. Fix the URL parameters and reload.`;
    for (const button of [ui.refreshNow, ui.signOut, ui.signIn]) button.disabled = true;
    log('error', `createTokenCache: ${code}: ${message}`);
    return;
  }
  window.tokenCache = cache;

  cache.on('token', (event) => {
    let claims: JWTPayload = {};
    try {
      claims = decodeJwt(event.token);
    } catch {
      // The library only emits tokens it accepted, so this does not happen; show what we can.
    }
    const jti = typeof claims.jti === 'string' ? claims.jti : '?';
    const left = ((event.expiresAt - Date.now()) / 1000).toFixed(1);
    log('token', `${event.source} · key "${event.key}" · jti ${jti.slice(0, 8)}… · ${left} s left`);
    if (event.key !== key) return;
    state.tokenEvents++;
    state.current = {
      jti,
      claims,
      source: event.source,
      expiresAt: event.expiresAt,
      receivedAt: Date.now(),
    };
    // "last error" is the error since the last good token: a new token clears it.
    setLastError(null);
    renderToken();
    renderCountdown();
  });

  cache.on('leader', (event) => {
    log('leader', event.isLeader ? 'this tab became the leader' : 'this tab is a follower');
    renderRole(cache);
  });

  cache.on('error', (event) => {
    const { code, message } = describeError(event.error);
    log('error', `key "${event.key}": ${code}: ${message}`);
    if (event.key === key) setLastError({ code, message });
  });

  cache.on('clear', (event) => {
    log('clear', event.origin === 'local' ? 'signed out from this tab' : 'signed out from another tab');
    signOutHere();
  });

  function signOutHere(): void {
    if (state.signedIn) state.session++;
    state.signedIn = false;
    state.current = null;
    renderSignedIn();
    renderToken();
    renderCountdown();
    showProtected('—', 'paused: signed out', 'idle');
  }

  ui.openTab.addEventListener('click', () => {
    window.open(location.href, '_blank');
    log('page', 'opened another tab');
  });

  ui.refreshNow.addEventListener('click', async () => {
    if (!state.signedIn) return;
    const session = state.session;
    const tokenEvents = state.tokenEvents;
    log('page', 'refresh now: getToken(key, { forceRefresh: true })');
    try {
      await cache.getToken(key, { forceRefresh: true });
    } catch (error) {
      if (session !== state.session) return;
      const { code, message } = describeError(error);
      if (code === 'cleared' || code === 'closed') return;
      log('error', `forced refresh failed: ${code}: ${message}`);
      if (state.tokenEvents === tokenEvents) setLastError({ code, message });
    }
  });

  ui.signOut.addEventListener('click', () => {
    cache.clear();
    // The library emits 'clear' (origin 'local') for this too; signing out here as well keeps
    // the page from making one more call in between.
    signOutHere();
  });

  ui.signIn.addEventListener('click', async () => {
    if (state.signedIn) return;
    // A new refresh-token family (the httpOnly cookie rt), which the server's rotation mode needs.
    const res = await fetch('/api/session', { method: 'POST' }).catch(() => undefined);
    if (!res?.ok) log('error', `POST /api/session answered ${res?.status ?? 'nothing'}`);
    state.signedIn = true;
    state.session++;
    state.lastProtected = '';
    log('page', 'signed in');
    renderSignedIn();
    renderCountdown();
    void callProtected(cache);
  });

  ui.serverMode.addEventListener('change', async () => {
    const mode = ui.serverMode.value;
    if (mode !== 'ok' && mode !== 'fail' && mode !== 'garbage') return;
    state.serverModeSending = true;
    try {
      await changeControl({ mode });
    } finally {
      state.serverModeSending = false;
    }
  });
  ui.serverTtl.addEventListener('change', () => {
    void changeControl({ ttlSeconds: ui.serverTtl.valueAsNumber });
  });
  ui.serverLatency.addEventListener('change', () => {
    void changeControl({ latencyMs: ui.serverLatency.valueAsNumber });
  });
  ui.serverReset.addEventListener('click', async () => {
    await fetch('/api/stats/reset', { method: 'POST' });
    log('server', 'counters reset');
    await pollServer();
  });

  renderRole(cache);
  renderTabStats(cache);
  log('page', `tab opened: cache "${cacheName}", key "${key}"`);

  // The app: one protected call a second, starting now.
  void callProtected(cache);
  setInterval(() => void callProtected(cache), 1000);
  // The dashboard. It stays light, since a demonstration or a test may open many tabs at once:
  // the server's counters once a second; its control state (which another tab may change) on
  // load, when this tab comes to the front, and every 5 s; the countdown 10 times a second.
  const readControl = () => void sendControl({}).catch(() => {});
  void pollServer();
  readControl();
  setInterval(() => void pollServer(), 1000);
  setInterval(readControl, 5000);
  window.addEventListener('focus', readControl);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') readControl();
  });
  setInterval(() => {
    renderCountdown();
    renderRole(cache);
  }, 100);
  setInterval(() => renderTabStats(cache), 500);
}

start();
