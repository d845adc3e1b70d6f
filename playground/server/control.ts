// The server's settings (GET/POST /api/control): the initial state from the options, and a change
// to it, every field validated before any is applied and the change recorded in the history.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ControlState, LIMITS, type ServerMode } from './contract.js';
import type { History } from './history.js';
import {
  checkBoolean,
  checkFields,
  checkInteger,
  checkMode,
  checkUser,
  readJsonObject,
  sendJson,
} from './http.js';

const { ttlSeconds: TTL, latencyMs: LATENCY, skewNextSeconds: SKEW, reuseGraceSeconds: GRACE } = LIMITS;

export interface InitialControl {
  ttlSeconds?: number;
  latencyMs?: number;
  mode?: ServerMode;
  rotation?: boolean;
  /** Who is signed in at start. Default 'user_demo'. */
  user?: string;
}

/** The control state at start; defaults: ttl 60 s, latency 0 ms, mode 'ok', rotation off. */
export function initialControl(options: InitialControl): ControlState {
  return {
    ttlSeconds: checkInteger('ttlSeconds', options.ttlSeconds ?? 60, TTL.min, TTL.max),
    latencyMs: checkInteger('latencyMs', options.latencyMs ?? 0, LATENCY.min, LATENCY.max),
    mode: checkMode(options.mode ?? 'ok'),
    rotation: checkBoolean('rotation', options.rotation ?? false),
    skewNextSeconds: 0,
    user: checkUser(options.user ?? 'user_demo'),
    reuseGraceSeconds: 0,
  };
}

export interface ControlEndpointOptions {
  /** The live control state, changed in place. */
  control: ControlState;
  history: History;
  /** The server's clock in epoch ms. */
  now: () => number;
  maxBodyBytes: number;
}

/** POST /api/control: any subset of the settings; answers the whole control state. */
export function createControlEndpoint({ control, history, now, maxBodyBytes }: ControlEndpointOptions) {
  return async function setControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonObject(req, maxBodyBytes);
    checkFields(body, [
      'ttlSeconds',
      'latencyMs',
      'mode',
      'rotation',
      'skewNextSeconds',
      'user',
      'reuseGraceSeconds',
    ]);
    // Validate everything before changing anything.
    const next: ControlState = { ...control };
    if ('ttlSeconds' in body) next.ttlSeconds = checkInteger('ttlSeconds', body.ttlSeconds, TTL.min, TTL.max);
    if ('latencyMs' in body) {
      next.latencyMs = checkInteger('latencyMs', body.latencyMs, LATENCY.min, LATENCY.max);
    }
    if ('mode' in body) next.mode = checkMode(body.mode);
    if ('rotation' in body) next.rotation = checkBoolean('rotation', body.rotation);
    if ('skewNextSeconds' in body) {
      next.skewNextSeconds = checkInteger('skewNextSeconds', body.skewNextSeconds, SKEW.min, SKEW.max);
    }
    if ('user' in body) next.user = checkUser(body.user);
    if ('reuseGraceSeconds' in body) {
      next.reuseGraceSeconds = checkInteger(
        'reuseGraceSeconds',
        body.reuseGraceSeconds,
        GRACE.min,
        GRACE.max,
      );
    }
    const changed = (Object.keys(next) as (keyof ControlState)[]).some(
      (field) => next[field] !== control[field],
    );
    Object.assign(control, next);
    if (changed) history.event({ at: now(), kind: 'control', control: { ...control } });
    sendJson(res, 200, { ...control });
  };
}
