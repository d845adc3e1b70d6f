// The "Token" card: the token this tab holds for its key, its claims, where it came from, and a
// countdown of its remaining life against the cache's leeway and cutoff (from tokens.options).

import { decodeJwt, type JWTPayload } from 'jose';
import type { ResolvedOptions, TokenEvent, TokenSource } from '../../src/index';
import { clock, el, setText } from './dom';
import { session } from './session';

interface Held {
  jti: string;
  claims: JWTPayload;
  source: TokenSource;
  /** Wall-clock epoch ms at which the library stops serving it (from the token event). */
  expiresAt: number;
  receivedAt: number;
}

const ui = {
  key: el('token-key'),
  freshness: el('freshness'),
  expiresIn: el('expires-in'),
  bar: el('bar'),
  barFill: el('bar-fill'),
  markLeeway: el('mark-leeway'),
  markCutoff: el('mark-cutoff'),
  jti: el('token-jti'),
  source: el('source'),
  sub: el('claim-sub'),
  claimKey: el('claim-key'),
  iat: el('claim-iat'),
  exp: el('claim-exp'),
  received: el('token-received'),
};

export interface TokenPanel {
  /** The jti of the token held, or null. */
  readonly jti: string | null;
  show(event: TokenEvent): void;
  /** Signed out: no token. */
  drop(): void;
  /** The countdown; call often. */
  tick(): void;
}

/** The jti of a JWT the library accepted ('?' if it has none). */
export function jtiOf(token: string): { jti: string; claims: JWTPayload } {
  let claims: JWTPayload = {};
  try {
    claims = decodeJwt(token);
  } catch {
    // The library only emits tokens it accepted, so this does not happen; show what we can.
  }
  return { jti: typeof claims.jti === 'string' ? claims.jti : '?', claims };
}

export function createTokenPanel(key: string, options: ResolvedOptions): TokenPanel {
  const leeway = options.refreshLeewaySeconds;
  const cutoff = options.hardCutoffSeconds;
  let held: Held | null = null;
  setText(ui.key, `key “${key}”`);

  const render = () => {
    setText(ui.jti, held?.jti ?? '—');
    setText(ui.source, held?.source ?? '—');
    ui.source.dataset.source = held?.source ?? '';
    const claim = (value: unknown) => (value === undefined ? '—' : String(value));
    const time = (seconds: unknown) =>
      typeof seconds === 'number' ? `${seconds} · ${clock(seconds * 1000).slice(0, 8)}` : '—';
    setText(ui.sub, claim(held?.claims.sub));
    setText(ui.claimKey, claim(held?.claims.key));
    setText(ui.iat, time(held?.claims.iat));
    setText(ui.exp, time(held?.claims.exp));
    setText(ui.received, held ? clock(held.receivedAt) : '—');
  };

  const tick = () => {
    if (!held) {
      setText(ui.expiresIn, '—');
      setText(ui.freshness, session.signedIn ? 'no token yet' : 'no token (signed out)');
      ui.expiresIn.dataset.state = 'none';
      ui.bar.dataset.state = 'none';
      ui.barFill.style.width = '0%';
      return;
    }
    const remaining = Math.max(0, (held.expiresAt - Date.now()) / 1000);
    const freshness = remaining > leeway ? 'fresh' : remaining > cutoff ? 'stale' : 'unservable';
    // Usable life as the library counts it: exp - iat - 1 s.
    const { exp, iat } = held.claims;
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
    ui.markLeeway.style.left = percent(leeway);
    ui.markCutoff.style.left = percent(cutoff);
  };

  render();
  tick();
  return {
    get jti() {
      return held?.jti ?? null;
    },
    show(event) {
      const { jti, claims } = jtiOf(event.token);
      held = { jti, claims, source: event.source, expiresAt: event.expiresAt, receivedAt: Date.now() };
      render();
      tick();
    },
    drop() {
      held = null;
      render();
      tick();
    },
    tick,
  };
}
