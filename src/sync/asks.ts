import type { AskReason } from '../wire/protocol.js';
import type { SyncContext } from './context.js';

/**
 * A follower's questions to the leader (R4, R12). Each `ask` must be acknowledged within the
 * answer timeout: the acknowledgement is the leader's proof of life, asked for only when a tab
 * needs the leader, never on a schedule. A tab that becomes leader while it asks stops waiting:
 * the question is now its own to answer.
 */
export class Asks {
  readonly #ctx: SyncContext;
  readonly #pending = new Map<string, (acknowledged: boolean) => void>();
  #seq = 0;

  constructor(ctx: SyncContext) {
    this.#ctx = ctx;
  }

  /** Asks the leader about `key`; resolves true when it acknowledged in time. */
  ask(key: string, reason: AskReason): Promise<boolean> {
    this.#seq++;
    const id = `${this.#ctx.tabId}.${this.#seq}`;
    const acknowledged = new Promise<boolean>((resolve) => {
      const stopTimer = this.#ctx.timers.after(this.#ctx.timing.answerTimeoutMs, () => settle(false));
      const settle = (answered: boolean) => {
        stopTimer();
        this.#pending.delete(id);
        resolve(answered);
      };
      this.#pending.set(id, settle);
    });
    this.#ctx.post('ask', { id, key, reason });
    return acknowledged;
  }

  /** The leader acknowledged question `id`. */
  onAck(id: string): void {
    this.#pending.get(id)?.(true);
  }

  /** Stops waiting for every answer (this tab leads now, or leaves). */
  giveUpAll(): void {
    for (const settle of [...this.#pending.values()]) settle(false);
  }
}
