// The playground's token server as a test drives it: its counters, its settings, a reset.

import { type APIRequestContext, type BrowserContext, expect } from '@playwright/test';
import type { ControlChange, ServerStats } from '../playground/server/contract';
import { LONG_TTL_S } from './timing.mjs';

/** The token server's shapes, as the server defines them. */
export type { ServerStats } from '../playground/server/contract';
/** The body of POST /api/control: any subset of the server's settings. */
export type ServerControl = ControlChange;

export class TokenServer {
  constructor(private readonly request: APIRequestContext) {}

  async stats(): Promise<ServerStats> {
    const res = await this.request.get('/api/stats');
    expect(res.ok(), `GET /api/stats answered ${res.status()}`).toBe(true);
    return (await res.json()) as ServerStats;
  }

  async requests(): Promise<number> {
    return (await this.stats()).requests;
  }

  async control(change: ServerControl): Promise<void> {
    const res = await this.request.post('/api/control', { data: change });
    expect(res.ok(), `POST /api/control ${JSON.stringify(change)}: ${await res.text()}`).toBe(true);
  }

  /** Zeroed counters, 60 s tokens, no latency, mode ok, no rotation, no clock step pending, the demo user, a strict OpenID Provider. */
  async reset(): Promise<void> {
    const res = await this.request.post('/api/stats/reset');
    expect(res.ok(), `POST /api/stats/reset answered ${res.status()}`).toBe(true);
    await this.control({
      ttlSeconds: LONG_TTL_S,
      latencyMs: 0,
      mode: 'ok',
      rotation: false,
      skewNextSeconds: 0,
      user: 'user_demo',
      reuseGraceSeconds: 0,
    });
  }
}

/** Sign in: a new refresh-token family, as the httpOnly cookie `rt` of the browser context. */
export async function signIn(context: BrowserContext): Promise<void> {
  const res = await context.request.post('/api/session');
  expect(res.ok(), `POST /api/session answered ${res.status()}`).toBe(true);
}
