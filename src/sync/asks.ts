import type { AskReason } from '../wire/protocol.js';
import type { SyncContext } from './context.js';

/**
 * How a question ended: the leader acknowledged it in time; it acknowledged it but this tab has
 * learned of an earlier sign-out meanwhile (`again`: the leader took the question for one from
 * before it, and answered nothing); nobody did (or this tab leads now, so it is its own to
 * answer); or this tab left the group meanwhile (pagehide, freeze, sign-out), so the silence says
 * nothing about the leader.
 */
export type AskOutcome = 'acked' | 'again' | 'unanswered' | 'left';

/**
 * A follower's questions to the leader (R4, R12). Each `ask` must be acknowledged within the
 * answer timeout: the acknowledgement is the leader's proof of life, asked for only when a tab
 * needs the leader, never on a schedule.
 */
export class Asks {
  readonly #ctx: SyncContext;
  readonly #pending = new Map<string, { readonly epoch: number; settle(outcome: AskOutcome): void }>();
  readonly #epoch: () => number;
  #seq = 0;

  /** `epoch`: this tab's sign-out epoch, which its questions carry. */
  constructor(ctx: SyncContext, epoch: () => number) {
    this.#ctx = ctx;
    this.#epoch = epoch;
  }

  /** Asks the leader about `key`. */
  ask(key: string, reason: AskReason): Promise<AskOutcome> {
    this.#seq++;
    const id = `${this.#ctx.tabId}.${this.#seq}`;
    const outcome = new Promise<AskOutcome>((resolve) => {
      const stopTimer = this.#ctx.timers.after(this.#ctx.timing.answerTimeoutMs, () => settle('unanswered'));
      const settle = (how: AskOutcome) => {
        stopTimer();
        this.#pending.delete(id);
        resolve(how);
      };
      this.#pending.set(id, { epoch: this.#epoch(), settle });
    });
    this.#ctx.post('ask', { id, key, reason, sentAt: this.#ctx.clock.now().wall });
    return outcome;
  }

  /** The leader acknowledged question `id`. */
  onAck(id: string): void {
    const pending = this.#pending.get(id);
    pending?.settle(pending.epoch === this.#epoch() ? 'acked' : 'again');
  }

  /** Ends every question: this tab leads now (`unanswered`: its own to answer), or leaves (`left`). */
  endAll(how: 'unanswered' | 'left'): void {
    for (const { settle } of [...this.#pending.values()]) settle(how);
  }
}
