import type { LockInfo, LockMode, Locks } from './locks.js';

function notSupported(message: string): Error {
  return typeof DOMException === 'function'
    ? new DOMException(message, 'NotSupportedError')
    : Object.assign(new Error(message), { name: 'NotSupportedError' });
}

function abortError(message: string): Error {
  return typeof DOMException === 'function'
    ? new DOMException(message, 'AbortError')
    : Object.assign(new Error(message), { name: 'AbortError' });
}

interface Request {
  readonly mode: LockMode;
  readonly grant: () => void;
}

interface Holder {
  readonly mode: LockMode;
  readonly steal: () => void;
}

interface Queue {
  readonly held: Set<Holder>;
  readonly pending: Request[];
}

/**
 * A lock manager for one JavaScript realm, with the Web Locks semantics the library relies on:
 * where `navigator.locks` is missing (Node, SSR, very old browsers) it stands in, so the caches
 * of one realm still elect exactly one leader. Loaded only there.
 */
export function memoryLocks(): Locks {
  const queues = new Map<string, Queue>();
  const queueOf = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = { held: new Set(), pending: [] };
      queues.set(name, q);
    }
    return q;
  };
  const compatible = (q: Queue, mode: LockMode): boolean =>
    q.held.size === 0 || (mode === 'shared' && [...q.held].every((h) => h.mode === 'shared'));
  const drain = (name: string, q: Queue) => {
    while (q.pending.length > 0 && compatible(q, (q.pending[0] as Request).mode)) {
      (q.pending.shift() as Request).grant();
    }
    if (q.held.size === 0 && q.pending.length === 0) queues.delete(name);
  };

  return {
    request(name, options, callback) {
      const mode = options.mode ?? 'exclusive';
      return new Promise<unknown>((resolve, reject) => {
        // As in browsers: a `signal` goes with neither `steal` nor `ifAvailable`, nor `steal` with
        // either `ifAvailable` or shared mode.
        if (
          (options.signal && (options.steal || options.ifAvailable)) ||
          (options.steal && (options.ifAvailable || mode === 'shared'))
        ) {
          reject(
            notSupported(
              'steal and ifAvailable take no signal; steal takes neither ifAvailable nor shared mode',
            ),
          );
          return;
        }
        if (options.signal?.aborted) {
          reject(options.signal.reason ?? abortError('The lock request was aborted'));
          return;
        }
        const q = queueOf(name);
        let settled = false;
        const finish = (holder: Holder, run: () => void) => {
          if (settled) return;
          settled = true;
          q.held.delete(holder);
          run();
          drain(name, q);
        };
        const grant = () => {
          const holder: Holder = {
            mode,
            // A steal grants the lock to the thief at once: nothing queued may slip in between.
            steal: () => {
              if (settled) return;
              settled = true;
              q.held.delete(holder);
              reject(abortError('The lock was stolen'));
            },
          };
          q.held.add(holder);
          // Web Locks calls back in a later task, never inside request().
          queueMicrotask(() => {
            Promise.resolve()
              .then(() => callback({ name, mode }))
              .then(
                (value) => finish(holder, () => resolve(value)),
                (error: unknown) => finish(holder, () => reject(error)),
              );
          });
        };
        if (options.steal) {
          for (const holder of [...q.held]) holder.steal();
          grant();
          return;
        }
        if (q.pending.length === 0 && compatible(q, mode)) {
          grant();
          return;
        }
        if (options.ifAvailable) {
          queueMicrotask(() => {
            Promise.resolve()
              .then(() => callback(null))
              .then(resolve, reject);
          });
          return;
        }
        const onAbort = () => {
          const i = q.pending.indexOf(request);
          if (i < 0) return;
          q.pending.splice(i, 1);
          reject(options.signal?.reason ?? abortError('The lock request was aborted'));
          drain(name, q);
        };
        const request: Request = {
          mode,
          grant: () => {
            options.signal?.removeEventListener('abort', onAbort);
            grant();
          },
        };
        q.pending.push(request);
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async query() {
      const held: LockInfo[] = [];
      const pending: LockInfo[] = [];
      for (const [name, q] of queues) {
        for (const h of q.held) held.push({ name, mode: h.mode });
        for (const p of q.pending) pending.push({ name, mode: p.mode });
      }
      return { held, pending };
    },
  };
}
