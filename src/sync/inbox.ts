import { identityIn, usableLifeMs, verify } from '../core/token.js';
import { failedElsewhereError, type TokenCacheError } from '../errors.js';
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
  /** This tab leads and may answer now, a question `ageMs` old (confirmed after a stall). */
  acting(ageMs?: number): Promise<boolean>;
  /**
   * Another tab's fetch of `key` failed: the group's outage budget (R24) holds here too, and a
   * holder of the exclusive lock is working.
   */
  failedElsewhere(key: string, error: TokenCacheError): void;
  /**
   * A sign-out this tab did not make: a clear from another tab (with the endpoint's reason when it
   * said the session is gone, R29), or one it learns it `missed`.
   */
  signOut(epoch: number, missed: boolean, reason?: string): void;
}

/**
 * Every message from another tab comes in here: parsed (R14; anything malformed is dropped and
 * counted, never thrown), then weighed by its sign-out epoch (R13, see Session.hear), then applied:
 * tokens and snapshots to the store (verified, never from before a sign-out this tab knows of),
 * clears, acknowledgements, failures, and questions for the leader.
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
    const { counters, tabId, clock } = this.#ctx;
    if (session.closed) return;
    const parsed = parse(raw, this.#ctx.options.name);
    if (!parsed.ok) {
      counters.messagesRejected++;
      return;
    }
    const m: Incoming = parsed.message;
    if (m.from === tabId) return;
    if (m.type === 'clear') {
      this.#parts.signOut(m.epoch, false, m.reason);
      return;
    }
    const heard = session.hear(m.epoch, clock.now().wall);
    if (heard === 'reject') {
      counters.messagesRejected++;
      return;
    }
    if (heard === 'missed') this.#parts.signOut(m.epoch, true);
    // A sign-out from before this tab started, news to it: what it fetched itself came after it;
    // what it took from other tabs may have come from one that had not heard of it either.
    if (heard === 'adopt') this.#ctx.store.retain((entry) => entry.source === 'fetch');
    // A tab behind this one has not heard of its latest sign-out: what it says about tokens is
    // from before it. Its questions are acknowledged (it is alive, and so is this leader) but not
    // answered; it learns of the sign-out from this tab's epoch and asks again.
    const behind = m.epoch < session.epoch; // (after a missed sign-out too: it may know only part of it)
    switch (m.type) {
      case 'snapshot-request':
        void this.#parts.acting().then((acting) => acting && answers.snapshot(m.from));
        return;
      case 'ask': {
        // A question answered after a sign-out that overtook it here is answered with nothing.
        const interrupted = session.mark();
        const age = m.sentAt === undefined ? undefined : clock.now().wall - m.sentAt;
        void this.#parts.acting(age).then((acting) => {
          if (acting) answers.ask(m.from, m.id, m.key, behind || interrupted() ? 'ack-only' : m.reason);
        });
        return;
      }
      case 'ack':
        if (m.to === tabId) asks.onAck(m.id);
        return;
      case 'ask-failed':
        if (behind) return;
        this.#parts.failedElsewhere(m.key, failedElsewhereError(m.code, m.message));
        arrivals.fail(m.key, failedElsewhereError(m.code, m.message));
        return;
      case 'token':
        if (!behind) void this.#apply(m.tokens, 'broadcast');
        return;
      case 'snapshot':
        if (!behind && m.to === tabId) void this.#apply(m.tokens, 'snapshot');
        return;
    }
  }

  /** Applies tokens from another tab of this tab's epoch: verified, dropped if a sign-out overtakes them. */
  async #apply(tokens: readonly ReceivedToken[], source: 'broadcast' | 'snapshot'): Promise<void> {
    const { session, arrivals } = this.#parts;
    const { options, clock, counters, timing } = this.#ctx;
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
      arrivals.accept({
        key: t.key,
        token: t.token,
        iat: t.claims.iat,
        exp: t.claims.exp,
        lifeMs,
        since: now,
        epoch: session.epoch,
        source,
        identity: identityIn(t.claims, options.identityOf),
      });
    }
  }
}
