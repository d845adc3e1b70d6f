/**
 * The lock seam: the part of the Web Locks API the library needs (exclusive and shared mode,
 * `ifAvailable`, `steal`, `signal`, `query`). Browsers give `navigator.locks`, which every tab of
 * the origin shares; elsewhere (Node, SSR, very old browsers) an in-realm manager with the same
 * semantics stands in, so the caches of one realm still elect exactly one leader.
 */
export type LockMode = 'exclusive' | 'shared';

export interface LockOptions {
  readonly mode?: LockMode;
  readonly ifAvailable?: boolean;
  readonly steal?: boolean;
  readonly signal?: AbortSignal;
}

export interface LockInfo {
  readonly name: string;
  readonly mode: LockMode;
}

export interface LockSnapshot {
  readonly held: readonly LockInfo[];
  readonly pending: readonly LockInfo[];
}

/** `navigator.locks`'s shape: the lock is held until the callback's promise settles. */
export interface Locks {
  request(
    name: string,
    options: LockOptions,
    callback: (lock: LockInfo | null) => Promise<unknown> | unknown,
  ): Promise<unknown>;
  query(): Promise<LockSnapshot>;
}

/** A lock this tab holds. */
export interface Held {
  /** Lets the lock go (once; later calls do nothing). */
  release(): void;
  /** Settles when the lock is gone: true if another tab stole it, false if released here. */
  readonly lost: Promise<boolean>;
}

/**
 * Requests a lock and resolves once it is held, or with null when `ifAvailable` found it taken.
 * Rejects (AbortError) when `signal` aborts the request before it is granted.
 */
export function acquire(locks: Locks, name: string, options: LockOptions = {}): Promise<Held | null> {
  if (options.ifAvailable) return ifAvailable(locks, name, options.mode);
  return new Promise<Held | null>((resolve, reject) => {
    let granted = false;
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let lostResolve: (stolen: boolean) => void = () => {};
    const lost = new Promise<boolean>((r) => {
      lostResolve = r;
    });
    locks
      .request(name, options, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        granted = true;
        resolve({ release, lost });
        return released;
      })
      .then(
        () => lostResolve(false),
        (error: unknown) => {
          if (granted) lostResolve(true);
          else reject(error);
        },
      );
  });
}

/**
 * `ifAvailable` without the option: Firefox (153) counts a request it did not grant as an active
 * lock of the page for good, and keeps the page out of the back/forward cache (R22; measured: one
 * such request, and the page was never restored). So the request waits in the queue until the
 * lock manager has answered a `query` (it handles a realm's requests in order: by then this one is
 * granted or queued), and is withdrawn if it is still waiting; a request withdrawn cleanly leaves
 * no trace in any engine.
 */
function ifAvailable(locks: Locks, name: string, mode?: LockMode): Promise<Held | null> {
  const waiting = new AbortController();
  const held = acquire(locks, name, { mode, signal: waiting.signal }).catch((error: unknown) => {
    if (waiting.signal.aborted && (error as Error).name === 'AbortError') return null; // withdrawn: not available
    throw error; // refused by the browser, as a request with the option would be
  });
  const withdraw = () => waiting.abort();
  locks.query().then(withdraw, withdraw);
  return held;
}

/**
 * `locks`, telling `busy` when this tab comes to hold or wait for a first lock (true) and when it
 * holds and waits for none any more (false): a request counts until its promise settles.
 */
export function countingLocks(locks: Locks, busy: (busy: boolean) => void): Locks {
  let count = 0;
  return {
    request(name, options, callback) {
      if (count++ === 0) busy(true);
      return locks.request(name, options, callback).finally(() => {
        if (--count === 0) busy(false);
      });
    },
    query: () => locks.query(),
  };
}

let realmLocks: Promise<Locks> | undefined;

/** The lock manager of this realm, loaded only where the platform has no `navigator.locks`. */
function realmLockManager(): Promise<Locks> {
  realmLocks ??= import('./memory-locks.js').then((m) => m.memoryLocks());
  return realmLocks;
}

/** `navigator.locks` where the browser has it, else the lock manager of this realm. */
export function defaultLocks(): Locks {
  const nav = (globalThis as { navigator?: { locks?: Locks } }).navigator;
  if (nav?.locks && typeof nav.locks.request === 'function' && typeof nav.locks.query === 'function') {
    return nav.locks;
  }
  return {
    request: (name, options, callback) => realmLockManager().then((l) => l.request(name, options, callback)),
    query: () => realmLockManager().then((l) => l.query()),
  };
}
