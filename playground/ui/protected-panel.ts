// The app's own calls: GET /api/protected once a second through tokens.fetch (the Bearer header,
// and one retry with a new token on a 401, R25), as an app would; the card shows the last answer.

import type { TokenCache } from '../../src/index';
import { el, setText } from './dom';
import { log } from './log';
import { callFailed, describeError, overtaken, session, startCall } from './session';

type Tone = 'ok' | 'refused' | 'error' | 'idle';

const ui = {
  status: el('protected-status'),
  detail: el('protected-detail'),
  ok: el('protected-ok'),
  refused: el('protected-refused'),
  skipped: el('protected-skipped'),
};

const counts = { ok: 0, refused: 0, skipped: 0 };
let busy = false;
let last = '';

export function showProtected(status: string, detail: string, tone: Tone): void {
  setText(ui.status, status);
  setText(ui.detail, detail);
  ui.status.dataset.tone = tone;
  setText(ui.ok, String(counts.ok));
  setText(ui.refused, String(counts.refused));
  if (status !== last) {
    if (last !== '' || tone !== 'ok') log('page', `/api/protected: ${status}`);
    last = status;
  }
}

/** After a sign-in: the next answer is logged whatever it is. */
export function forgetLastProtected(): void {
  last = '';
}

export async function callProtected(cache: TokenCache, key: string): Promise<void> {
  if (!session.signedIn) return;
  if (busy) {
    // The previous call still waits (e.g. for a slow token server); do not pile up.
    counts.skipped++;
    setText(ui.skipped, String(counts.skipped));
    return;
  }
  busy = true;
  const call = startCall();
  try {
    const res = await cache.fetch('/api/protected', { tokenKey: key });
    const body: unknown = await res.json().catch(() => undefined);
    if (overtaken(call)) return;
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (res.ok) {
      counts.ok++;
      showProtected(String(res.status), `sub ${String(record.sub)} · key ${String(record.key)}`, 'ok');
    } else {
      counts.refused++;
      const reason = typeof record.error === 'string' ? ` ${record.error}` : '';
      showProtected(`${res.status}${reason}`, 'refused by the API', 'refused');
    }
  } catch (error) {
    callFailed(`getToken("${key}")`, error, call);
    const { code } = describeError(error);
    if (overtaken(call) || code === 'cleared' || code === 'closed') return;
    if (call.tokenEvents === session.tokenEvents)
      showProtected('no token', `getToken failed: ${code}`, 'error');
  } finally {
    busy = false;
  }
}
