/**
 * Per-key refresh locks, taken only if free: among all tabs at most one refreshes a key at a
 * time. Web Locks where the browser has them; elsewhere a lock shared by every cache in this
 * JavaScript realm (in a browser without Web Locks that is one tab, so tabs may then duplicate).
 */
export type Release = () => void;

export interface KeyLocks {
  /** The lock `name` if it is free (call the result to release it), else undefined at once. */
  tryAcquire(name: string): Promise<Release | undefined>;
}

const held = new Set<string>();

export const memoryLocks: KeyLocks = {
  async tryAcquire(name) {
    if (held.has(name)) return undefined;
    held.add(name);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.delete(name);
    };
  },
};

interface WebLocks {
  request(
    name: string,
    options: { ifAvailable: boolean },
    cb: (lock: unknown) => Promise<void> | void,
  ): Promise<void>;
}

function webLocks(): WebLocks | undefined {
  const nav = (globalThis as { navigator?: { locks?: WebLocks } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : undefined;
}

export function defaultLocks(): KeyLocks {
  const locks = webLocks();
  if (!locks) return memoryLocks;
  return {
    tryAcquire: (name) =>
      new Promise<Release | undefined>((resolve, reject) => {
        locks
          .request(name, { ifAvailable: true }, (lock) => {
            if (!lock) {
              resolve(undefined);
              return;
            }
            // The lock is held until the promise returned here settles.
            return new Promise<void>((release) => resolve(() => release()));
          })
          .catch(reject);
      }),
  };
}
