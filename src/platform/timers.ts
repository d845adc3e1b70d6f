/**
 * The one timer seam of the library (R16): every interval and timeout goes through a `Timers`.
 *
 * Intervals (the leader's poll) tick inside an inline Worker made from a Blob URL, which
 * background-tab throttling does not reach; where Workers are missing, or a CSP forbids blob
 * workers, they fall back to ordinary setInterval. The Worker is made at the first `every`, so a
 * tab that never leads never starts one. One-shot timeouts (answer and fetch timeouts, lock grace,
 * idle expiry) run on the main thread: a late one only delays a fallback.
 *
 * Where timers can be unref'd (Node), the background ones are (intervals, and timeouts marked
 * `background`): a cache never keeps a server process alive (R19). A timeout that a caller
 * awaits (an answer, a fetch) keeps it alive until the call settles, as a pending fetch does.
 */
export type Cancel = () => void;

export interface Timers {
  /** Calls `fn` every `ms`; returns a function that stops it. */
  every(ms: number, fn: () => void): Cancel;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void, background?: boolean): Cancel;
  /** Where intervals tick: 'worker' once a Worker runs them, else 'main'. */
  readonly kind: 'worker' | 'main';
  /** Stops every timer. */
  dispose(): void;
}

const WORKER_SOURCE =
  'const t=new Map();onmessage=(e)=>{const d=e.data;if(d.op==="start"){t.set(d.id,setInterval(()=>postMessage(d.id),d.ms));}else{clearInterval(t.get(d.id));t.delete(d.id);}};';

type Handle = ReturnType<typeof setTimeout>;

/** Node's timers keep the process alive unless unref'd; a browser's ids are numbers. */
function unref(handle: Handle): Handle {
  (handle as { unref?: () => void }).unref?.();
  return handle;
}

export function mainThreadTimers(): Timers {
  const active = new Map<Handle, () => void>();
  const track = (handle: Handle, clear: (h: Handle) => void): Cancel => {
    const cancel = () => {
      clear(handle);
      active.delete(handle);
    };
    active.set(handle, cancel);
    return cancel;
  };
  return {
    kind: 'main',
    every: (ms, fn) => track(unref(setInterval(fn, ms)), clearInterval),
    after(ms, fn, background = false) {
      const handle = setTimeout(() => {
        active.delete(handle);
        fn();
      }, ms);
      if (background) unref(handle);
      return track(handle, clearTimeout);
    },
    dispose() {
      for (const cancel of [...active.values()]) cancel();
    },
  };
}

function tryWorker(): { worker: Worker; url: string } | undefined {
  const g = globalThis as { Worker?: typeof Worker; Blob?: typeof Blob; URL?: typeof URL };
  if (
    typeof g.Worker !== 'function' ||
    typeof g.Blob !== 'function' ||
    typeof g.URL?.createObjectURL !== 'function'
  ) {
    return undefined;
  }
  try {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return { worker: new Worker(url), url };
  } catch {
    return undefined; // a CSP without blob: in worker-src throws here in some browsers
  }
}

interface Job {
  readonly ms: number;
  readonly fn: () => void;
  stop?: Cancel;
}

export function createTimers(): Timers {
  const main = mainThreadTimers();
  const jobs = new Map<number, Job>();
  let made: { worker: Worker; url: string } | undefined;
  let broken = false;
  let nextId = 1;
  const stopWorker = () => {
    if (!made) return;
    made.worker.terminate();
    URL.revokeObjectURL(made.url);
    made = undefined;
  };
  const breakDown = () => {
    if (broken) return;
    broken = true;
    stopWorker();
    for (const job of jobs.values()) job.stop = main.every(job.ms, job.fn);
  };
  const worker = (): Worker | undefined => {
    if (broken) return undefined;
    if (!made) {
      made = tryWorker();
      if (!made) {
        broken = true;
        return undefined;
      }
      // A CSP that forbids blob workers reports here, asynchronously, in other browsers.
      made.worker.onerror = breakDown;
      made.worker.onmessage = (event: MessageEvent<number>) => jobs.get(event.data)?.fn();
    }
    return made.worker;
  };
  return {
    get kind() {
      return made ? 'worker' : 'main';
    },
    every(ms, fn) {
      const id = nextId++;
      const job: Job = { ms, fn };
      jobs.set(id, job);
      const w = worker();
      if (w) w.postMessage({ op: 'start', id, ms });
      else job.stop = main.every(ms, fn);
      return () => {
        jobs.delete(id);
        if (job.stop) job.stop();
        else made?.worker.postMessage({ op: 'stop', id });
      };
    },
    after: (ms, fn, background) => main.after(ms, fn, background),
    dispose() {
      jobs.clear();
      main.dispose();
      stopWorker();
    },
  };
}
