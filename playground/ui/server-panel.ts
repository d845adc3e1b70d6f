// The "Token server" card: its counters (read every second), and its settings (mode, ttl,
// latency, rotation), which any tab may change: they are read every 2 s, so another tab's
// change shows here without a reload.

import { api } from '../api';
import type { ControlChange, ControlState } from '../server/contract';
import { SERVER_MODES, type ServerMode } from '../server/contract';
import { el, setText } from './dom';
import { log } from './log';
import { callFailed } from './session';

const ui = {
  requests: el('server-requests'),
  requestsKey: el('server-requests-key'),
  accepted: el('server-accepted'),
  rejected: el('server-rejected'),
  reuse: el('server-reuse'),
  mode: el<HTMLSelectElement>('server-mode'),
  ttl: el<HTMLInputElement>('server-ttl'),
  latency: el<HTMLInputElement>('server-latency'),
  rotation: el<HTMLInputElement>('server-rotation'),
  reset: el<HTMLButtonElement>('server-reset'),
  note: el('server-note'),
};

/** A control being sent: its field is not overwritten by a read that left before it arrived. */
const sending = new Set<keyof ControlState>();

function showControl(control: ControlState): void {
  const active = document.activeElement;
  if (active !== ui.mode && !sending.has('mode')) ui.mode.value = control.mode;
  if (active !== ui.ttl && !sending.has('ttlSeconds')) ui.ttl.value = String(control.ttlSeconds);
  if (active !== ui.latency && !sending.has('latencyMs')) ui.latency.value = String(control.latencyMs);
  if (!sending.has('rotation')) ui.rotation.checked = control.rotation;
  document.body.dataset.serverMode = control.mode;
  const rotation = control.rotation ? ' Refresh-token rotation on: “Sign in” starts a session.' : '';
  setText(
    ui.note,
    control.mode === 'ok'
      ? `Issues ES256 tokens living ${control.ttlSeconds} s${control.latencyMs ? `, after ${control.latencyMs} ms` : ''}.${rotation}`
      : control.mode === 'fail'
        ? 'Failing: every token request gets 503.'
        : 'Garbage: every token request gets a string that is not a JWT.',
  );
}

async function change(change: ControlChange): Promise<void> {
  const fields = Object.keys(change) as (keyof ControlState)[];
  for (const field of fields) sending.add(field);
  try {
    showControl(await api.setControl(change));
    log('server', `control: ${JSON.stringify(change)}`);
  } catch (error) {
    callFailed(`control ${JSON.stringify(change)}`, error, undefined, true);
  } finally {
    for (const field of fields) sending.delete(field);
  }
  await readControl();
}

async function readControl(): Promise<void> {
  try {
    showControl(await api.control());
  } catch {
    // The server is away (restarting?); the counters say so.
  }
}

async function readStats(key: string): Promise<void> {
  try {
    const stats = await api.stats();
    setText(ui.requests, String(stats.requests));
    setText(ui.accepted, String(stats.accepted));
    setText(ui.rejected, String(stats.rejected));
    setText(ui.reuse, String(stats.reuseDetected));
    setText(ui.requestsKey, String(stats.byKey[key] ?? 0));
    document.body.classList.remove('server-down');
  } catch {
    document.body.classList.add('server-down');
  }
}

export function startServerPanel(key: string): void {
  ui.mode.addEventListener('change', () => {
    const mode = ui.mode.value;
    if ((SERVER_MODES as readonly string[]).includes(mode)) void change({ mode: mode as ServerMode });
  });
  ui.ttl.addEventListener('change', () => void change({ ttlSeconds: ui.ttl.valueAsNumber }));
  ui.latency.addEventListener('change', () => void change({ latencyMs: ui.latency.valueAsNumber }));
  ui.rotation.addEventListener('change', () => void change({ rotation: ui.rotation.checked }));
  ui.reset.addEventListener('click', async () => {
    try {
      await api.resetStats();
      log('server', 'counters reset');
    } catch (error) {
      callFailed('counters reset', error, undefined, true);
    }
    await readStats(key);
  });
  void readStats(key);
  void readControl();
  setInterval(() => void readStats(key), 1000);
  setInterval(() => void readControl(), 2000);
}
