// The page's calls to the playground's token server (server/token-server.ts), typed with the
// server's own types (server/contract.ts). Every call resolves with a checked answer or rejects
// with an ApiError that says which call failed and why.

import {
  type ControlChange,
  type ControlState,
  SERVER_MODES,
  type ServerHistory,
  type ServerStats,
} from './server/contract';

export class ApiError extends Error {
  override readonly name = 'ApiError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isControlState(value: unknown): value is ControlState {
  return (
    isRecord(value) &&
    typeof value.ttlSeconds === 'number' &&
    typeof value.latencyMs === 'number' &&
    (SERVER_MODES as readonly unknown[]).includes(value.mode) &&
    typeof value.rotation === 'boolean'
  );
}

function isStats(value: unknown): value is ServerStats {
  return (
    isRecord(value) &&
    typeof value.requests === 'number' &&
    isRecord(value.byKey) &&
    typeof value.accepted === 'number' &&
    typeof value.rejected === 'number' &&
    typeof value.reuseDetected === 'number'
  );
}

function isHistory(value: unknown): value is ServerHistory {
  return (
    isRecord(value) &&
    typeof value.now === 'number' &&
    typeof value.windowMs === 'number' &&
    Array.isArray(value.requests) &&
    value.requests.every((at) => typeof at === 'number') &&
    Array.isArray(value.events) &&
    value.events.every((event) => isRecord(event) && typeof event.at === 'number') &&
    isControlState(value.controlAtStart)
  );
}

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  check: (value: unknown) => value is T,
): Promise<T> {
  const what = `${method} ${path}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    });
  } catch (error) {
    throw new ApiError(`${what}: no answer (${error instanceof Error ? error.message : String(error)})`);
  }
  const answer: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const reason = isRecord(answer) && typeof answer.error === 'string' ? `: ${answer.error}` : '';
    throw new ApiError(`${what} answered ${res.status}${reason}`);
  }
  if (!check(answer)) throw new ApiError(`${what} answered something unexpected`);
  return answer;
}

const ok = (value: unknown): value is unknown => value !== undefined;

export const api = {
  stats: () => call('GET', '/api/stats', undefined, isStats),
  resetStats: () => call('POST', '/api/stats/reset', undefined, isStats),
  control: () => call('GET', '/api/control', undefined, isControlState),
  setControl: (change: ControlChange) => call('POST', '/api/control', change, isControlState),
  history: () => call('GET', '/api/history', undefined, isHistory),
  /** Sign in: a new refresh-token family, set as the httpOnly cookie `rt`. */
  signIn: async () => {
    await call('POST', '/api/session', undefined, ok);
  },
};
