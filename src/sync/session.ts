import { clearedError, closedError, signedOut, type TokenCacheError } from '../errors.js';
import { EPOCH_SLOTS, epochCeiling, epochOf, mergedEpoch, millisecondOf } from '../rules.js';

/** What a message's epoch means to this tab (see `Session.hear`). */
export type Heard = 'same' | 'behind' | 'adopt' | 'missed' | 'reject';

/**
 * The sign-out session of one tab (R13).
 *
 * `epoch` names the latest sign-out this tab knows of by the wall-clock millisecond it happened
 * at and the tab that made it (`epochOf`; 0: none). Every message carries the sender's; tokens
 * are accepted only from a tab that knows the same sign-outs or later ones. Two tabs that sign out
 * in the same millisecond make two sign-outs, and each tab applies both. A wall-clock stamp, not a
 * count, because tabs of one origin
 * do not share a history: a tab back from the back/forward cache, or one opened after a sign-out,
 * must tell "a sign-out happened while I was away" from "before I existed", and only the time of
 * the sign-out, against the tab's own start, can say which. Stamps stay ordered when the wall clock
 * is set back (a new one is always past the last one known), and a stamp from a peer further ahead
 * of this machine's clock than a legitimate one can be (`epochCeiling`) is never adopted, so no
 * message can push the epoch to where a later sign-out could not pass it (R28).
 *
 * Every call and every piece of work that started before a sign-out or close() checks `mark`
 * before it may store anything, and pending calls are rejected at once (`track`).
 */
export class Session {
  #epoch = 0;
  #signOuts = 0;
  /** Why the endpoint signed the group out (R29), for the latest sign-out; undefined for a clear(). */
  #reason: string | undefined;
  #closed = false;
  readonly #startedAt: number;
  readonly #slot: number;
  readonly #pending = new Set<(error: TokenCacheError) => void>();

  /**
   * `startedAt`: this tab's wall clock when its cache started; sign-outs before it are not its
   * own. `tabId` tells this tab's sign-outs from another's made in the same millisecond.
   */
  constructor(startedAt: number, tabId: string) {
    this.#startedAt = startedAt;
    let h = 0x811c9dc5;
    for (let i = 0; i < tabId.length; i++) h = Math.imul(h ^ tabId.charCodeAt(i), 0x01000193);
    this.#slot = (h >>> 0) % (EPOCH_SLOTS - 1); // the last slot is the merged one
  }

  get epoch(): number {
    return this.#epoch;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * What a message with epoch `e` means here, at wall time `wall`:
   * - `same`: it knows what this tab knows;
   * - `behind`: it has not heard of this tab's latest sign-out yet (its tokens are from before it);
   * - `adopt`: a sign-out from before this tab started, news only to it (adopted here, silently);
   * - `missed`: a sign-out since this tab started that it did not hear of (it was away, or the
   *   clear is still on its way): the caller signs this tab out (`signOut(e)`);
   * - `reject`: further ahead of this machine's clock than any sign-out can be.
   */
  hear(e: number, wall: number): Heard {
    if (e === this.#epoch) return 'same';
    if (e < this.#epoch) return 'behind';
    if (e > epochCeiling(wall)) return 'reject';
    // (A sign-out in the millisecond this tab started may have come after it: missed, to be safe.)
    if (millisecondOf(e) >= this.#startedAt) return 'missed';
    this.#epoch = e;
    return 'adopt';
  }

  /**
   * Signs this tab out: for a clear() here (`remote` undefined); for another tab's clear with its
   * epoch; or for a sign-out it learns it `missed` (`hear`), whose epoch it takes as it is.
   * Returns false for a clear this tab has applied already: the one it knows as its latest, or
   * one from an earlier millisecond (everything before it is gone already). Two clears of one
   * millisecond that did not know of each other are both applied, and every tab that applies both
   * ends on the millisecond's merged epoch, past both, so that what either tab sent before it
   * heard of the other's is from before a sign-out everywhere.
   */
  signOut(wall: number, remote?: number, missed = false, reason?: string): boolean {
    const mine = this.#epoch;
    const sameMs = remote !== undefined && mine !== 0 && millisecondOf(remote) === millisecondOf(mine);
    if (remote === undefined) this.#epoch = Math.max(epochOf(wall, this.#slot), mine + 1);
    else if (remote === mine || (!missed && millisecondOf(remote) < millisecondOf(mine))) return false;
    else if (sameMs)
      this.#epoch = mergedEpoch(mine); // two sign-outs of one millisecond: both
    else this.#epoch = Math.min(remote, epochCeiling(wall));
    this.#signOuts++;
    this.#reason = reason;
    this.#interruptAll(() => this.#signedOut());
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#interruptAll(closedError);
  }

  /** The error that ends a call now: `closed` after close(), else undefined. */
  checkOpen(): TokenCacheError | undefined {
    return this.#closed ? closedError() : undefined;
  }

  /** For work starting now: returns the check that says whether a close() or clear() overtook it. */
  mark(key?: string): () => TokenCacheError | undefined {
    const signOuts = this.#signOuts;
    return () => this.checkOpen() ?? (signOuts !== this.#signOuts ? this.#signedOut(key) : undefined);
  }

  /** What a call overtaken by the latest sign-out rejects with: `cleared`, or `signed_out` (R29). */
  #signedOut(key?: string): TokenCacheError {
    return this.#reason === undefined ? clearedError(key) : signedOut(this.#reason);
  }

  /**
   * A caller's promise that rejects at once when a sign-out or close() overtakes it (R13, R19),
   * whatever the work behind it is still doing.
   */
  track<T>(work: Promise<T>, key: string): Promise<T> {
    const stop = this.checkOpen();
    if (stop) return Promise.reject(stop);
    return new Promise<T>((resolve, reject) => {
      const interrupt = (error: TokenCacheError) =>
        reject(error.code === 'cleared' ? clearedError(key) : error);
      this.#pending.add(interrupt);
      work.then(resolve, reject).finally(() => this.#pending.delete(interrupt));
    });
  }

  #interruptAll(error: () => TokenCacheError): void {
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const interrupt of pending) interrupt(error());
  }
}
