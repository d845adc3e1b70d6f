import { usableLifeMs, verify } from '../core/token.js';
import { failedElsewhereError } from '../errors.js';
import { type Incoming, parse, type ReceivedToken } from '../wire/protocol.js';
import type { Answers } from './answers.js';
import type { Arrivals } from './arrivals.js';
import type { Asks } from './asks.js';
import type { SyncContext } from './context.js';
import type { Session } from './session.js';

/** The parts of a tab the inbox hands messages to. */
export interface InboxParts {
  readonly session: Session;
  readonly arrivals: Arrivals;
  readonly asks: Asks;
  readonly answers: Answers;
  /** This tab leads and may answer now (confirmed after a freeze). */
  acting(): Promise<boolean>;
  /** A token for `key` came from another tab: failures remembered here are history. */
  heardFrom(key: string): void;
  /** Another tab signed the group out. */
  signOut(atLeastEpoch: number): void;
}

/**
 * Every message from another tab comes in here: parsed (R14; anything malformed is dropped and
 * counted, never thrown), then applied: tokens and snapshots to the store (verified, never from
 * before a sign-out), clears, acknowledgements, failures, and questions for the leader.
 */
export class Inbox {
  readonly #ctx: SyncContext;
  readonly #parts: InboxParts;

  constructor(ctx: SyncContext, parts: InboxParts) {
    this.#ctx = ctx;
    this.#parts = parts;
  }

  receive(raw: unknown): void {
    const { session, asks, answers, arrivals } = this.#parts;
    if (session.closed) return;
    const parsed = parse(raw, this.#ctx.options.name);
    if (!parsed.ok) {
      this.#ctx.counters.messagesRejected++;
      return;
    }
    const m: Incoming = parsed.message;
    if (m.from === this.#ctx.tabId) return;
    if (m.type === 'clear') {
      // Every clear signs this tab out, even one from a tab that had not caught up with the
      // group's epoch: this tab's epoch only ever rises, past both.
      this.#parts.signOut(m.epoch);
      return;
    }
    session.adopt(m.epoch);
    switch (m.type) {
      case 'snapshot-request':
        void this.#parts.acting().then((acting) => acting && answers.snapshot(m.from));
        return;
      case 'ask':
        void this.#parts.acting().then((acting) => acting && answers.ask(m.from, m.id, m.key, m.reason));
        return;
      case 'ack':
        if (m.to === this.#ctx.tabId) asks.onAck(m.id);
        return;
      case 'ask-failed':
        arrivals.fail(m.key, failedElsewhereError(m.code, m.message));
        return;
      case 'token':
        void this.#apply(m.epoch, m.tokens, 'broadcast');
        return;
      case 'snapshot':
        if (m.to === this.#ctx.tabId) void this.#apply(m.epoch, m.tokens, 'snapshot');
        return;
    }
  }

  /** Applies tokens from another tab: verified, never from before a sign-out this tab has seen. */
  async #apply(
    epoch: number,
    tokens: readonly ReceivedToken[],
    source: 'broadcast' | 'snapshot',
  ): Promise<void> {
    const { session, arrivals } = this.#parts;
    const { options, clock, counters, timing } = this.#ctx;
    if (epoch < session.epoch) return;
    const interrupted = session.mark();
    for (const t of tokens) {
      if (options.verifyToken) {
        try {
          await verify(t.token, t.key, options.verifyToken);
        } catch {
          counters.messagesRejected++;
          continue;
        }
        if (interrupted()) return;
      }
      if (source === 'broadcast') counters.broadcastsReceived++;
      const now = clock.now();
      const lifeMs = Math.min(t.expiresAt - now.wall, usableLifeMs(t.claims));
      if (lifeMs <= timing.cutoffMs) continue;
      this.#parts.heardFrom(t.key);
      arrivals.accept({
        key: t.key,
        token: t.token,
        iat: t.claims.iat,
        exp: t.claims.exp,
        lifeMs,
        since: now,
        epoch,
        source,
      });
    }
  }
}
