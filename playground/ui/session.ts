// Whether this tab is signed in, and the one place that handles a failed call (a token the
// cache could not get, a refused server call): it is logged, and shown as "last error" unless
// a sign-out or a newer token overtook the call.

import { TokenCacheError } from '../../src/index';
import { el, setText } from './dom';
import { log } from './log';

const lastError = el('last-error');
const lastErrorMessage = el('last-error-message');

export const session = {
  signedIn: true,
  /** Bumped by every sign-out and sign-in, so that a call begun before one is not acted on. */
  epoch: 0,
  /** Token events for this page's key: a call that fails after a newer token is only logged. */
  tokenEvents: 0,
};

/** What a call remembers from its start, to tell afterwards whether it was overtaken. */
export interface CallStart {
  epoch: number;
  tokenEvents: number;
}

export function startCall(): CallStart {
  return { epoch: session.epoch, tokenEvents: session.tokenEvents };
}

/** A sign-in or sign-out happened since the call began: its outcome is not this session's. */
export function overtaken(call: CallStart): boolean {
  return call.epoch !== session.epoch || !session.signedIn;
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof TokenCacheError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'error', message: String(error) };
}

/** "last error": the error since the last good token, or nothing. */
export function showLastError(error: { code: string; message: string } | null): void {
  setText(lastError, error?.code ?? '');
  setText(lastErrorMessage, error?.message ?? '');
  lastErrorMessage.title = error?.message ?? '';
}

/**
 * A call failed. `call` (when given) is what it remembered at its start: a failure after a
 * sign-out is dropped; one after a newer token arrived is logged but is not "last error".
 * Server calls (`server: true`) are logged only: they say nothing about this tab's token.
 */
export function callFailed(what: string, error: unknown, call?: CallStart, server = false): void {
  if (call && call.epoch !== session.epoch) return;
  const { code, message } = describeError(error);
  if (code === 'cleared' || code === 'closed' || code === 'signed_out') return; // a sign-out or close overtook the call
  log(server ? 'server' : 'error', `${what} failed: ${code}: ${message}`);
  if (server || (call && call.tokenEvents !== session.tokenEvents)) return;
  showLastError({ code, message });
}
