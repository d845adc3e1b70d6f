// The token server's short memory, for the page's timeline (GET /api/history): when each token
// request arrived, and what happened meanwhile (settings changed, a refresh token reused, a
// sign-in), over the last few minutes. Older entries are forgotten as new ones come, and at
// most `maxRequests` request times are kept, so the memory stays small whatever the load.

import type { ControlState, HistoryEvent, ServerHistory } from './contract.js';

/** How far back the history reaches by default: five minutes. */
export const HISTORY_WINDOW_MS = 5 * 60_000;

export interface HistoryOptions {
  /** How far back to remember (ms). Default HISTORY_WINDOW_MS. */
  windowMs?: number;
  /** Most request times kept; past it the oldest go first. Default 20 000. */
  maxRequests?: number;
  /** Most events kept; past it the oldest go first. Default 1 000. */
  maxEvents?: number;
}

export interface History {
  /** A token request arrived at `at`. */
  request(at: number): void;
  /** Something happened at `at`; a 'control' event also moves the settings on. */
  event(event: HistoryEvent): void;
  /** The window ending at `now`. */
  read(now: number): ServerHistory;
}

export function createHistory(initial: ControlState, options: HistoryOptions = {}): History {
  const windowMs = options.windowMs ?? HISTORY_WINDOW_MS;
  const maxRequests = options.maxRequests ?? 20_000;
  const maxEvents = options.maxEvents ?? 1_000;
  const requests: number[] = [];
  const events: HistoryEvent[] = [];
  /** The settings before the oldest event still kept. */
  let controlBefore: ControlState = { ...initial };

  const forget = (now: number) => {
    const start = now - windowMs;
    let drop = 0;
    while (drop < requests.length && (requests[drop] ?? 0) < start) drop++;
    drop = Math.max(drop, requests.length - maxRequests);
    if (drop > 0) requests.splice(0, drop);
    while (events.length > 0 && ((events[0]?.at ?? 0) < start || events.length > maxEvents)) {
      const gone = events.shift();
      if (gone?.kind === 'control') controlBefore = gone.control;
    }
  };

  return {
    request(at) {
      requests.push(at);
      forget(at);
    },
    event(event) {
      events.push(event.kind === 'control' ? { ...event, control: { ...event.control } } : { ...event });
      forget(event.at);
    },
    read(now) {
      forget(now);
      return {
        now,
        windowMs,
        requests: [...requests],
        events: events.map((event) => ({ ...event })),
        controlAtStart: { ...controlBefore },
      };
    },
  };
}
