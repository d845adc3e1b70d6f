import { clearedError, closedError, type TokenCacheError } from '../errors.js';

/**
 * The sign-out session of one tab (R13). `epoch` is the group's sign-out count: raised by every
 * clear(), adopted from any tab that is ahead, carried by every message; a token from an earlier
 * epoch is never accepted. Work that started before a clear() or close() checks `interrupted`
 * before it may store anything.
 */
export class Session {
  #epoch = 0;
  #signOuts = 0;
  #closed = false;

  get epoch(): number {
    return this.#epoch;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A tab ahead of this one saw a sign-out that happened before this tab joined. */
  adopt(epoch: number): void {
    if (epoch > this.#epoch) this.#epoch = epoch;
  }

  /**
   * Signs this tab out: its epoch rises past its own and past `atLeast` (a remote clear's epoch).
   * Saturates: an epoch past what every tab accepts would make this tab's clears unheard.
   */
  signOut(atLeast = 0): void {
    this.#epoch = Math.min(Math.max(this.#epoch + 1, atLeast), Number.MAX_SAFE_INTEGER);
    this.#signOuts++;
  }

  close(): void {
    this.#closed = true;
  }

  /** The error that ends a call now: `closed` after close(), else undefined. */
  checkOpen(): TokenCacheError | undefined {
    return this.#closed ? closedError() : undefined;
  }

  /** For work starting now: returns the check that says whether a close() or clear() overtook it. */
  mark(key?: string): () => TokenCacheError | undefined {
    const signOuts = this.#signOuts;
    return () => this.checkOpen() ?? (signOuts !== this.#signOuts ? clearedError(key) : undefined);
  }
}
