/**
 * Interval timers that background-tab throttling does not reach (R16): they tick inside an
 * inline Worker made from a Blob URL. Where Workers are missing, or a CSP forbids blob workers,
 * they fall back to ordinary setInterval.
 */
export interface Timers {
  /** Calls `fn` every `ms`; returns a function that stops it. */
  every(ms: number, fn: () => void): () => void;
  readonly kind: 'worker' | 'main';
  dispose(): void;
}

const WORKER_SOURCE =
  'const t=new Map();onmessage=(e)=>{const d=e.data;if(d.op==="start"){t.set(d.id,setInterval(()=>postMessage(d.id),d.ms));}else{clearInterval(t.get(d.id));t.delete(d.id);}};';

export function mainThreadTimers(): Timers {
  const active = new Set<ReturnType<typeof setInterval>>();
  return {
    kind: 'main',
    every(ms, fn) {
      const id = setInterval(fn, ms);
      active.add(id);
      return () => {
        clearInterval(id);
        active.delete(id);
      };
    },
    dispose() {
      for (const id of active) clearInterval(id);
      active.clear();
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

export function createTimers(): Timers {
  const made = tryWorker();
  if (!made) return mainThreadTimers();
  const { worker, url } = made;
  const fallback = mainThreadTimers();
  const jobs = new Map<number, { ms: number; fn: () => void; stop?: () => void }>();
  let nextId = 1;
  let broken = false;
  const breakDown = () => {
    if (broken) return;
    broken = true;
    worker.terminate();
    URL.revokeObjectURL(url);
    for (const job of jobs.values()) job.stop = fallback.every(job.ms, job.fn);
  };
  // A CSP that forbids blob workers reports here, asynchronously, in other browsers.
  worker.onerror = breakDown;
  worker.onmessage = (event: MessageEvent<number>) => jobs.get(event.data)?.fn();
  return {
    get kind() {
      return broken ? 'main' : 'worker';
    },
    every(ms, fn) {
      const id = nextId++;
      const job: { ms: number; fn: () => void; stop?: () => void } = { ms, fn };
      jobs.set(id, job);
      if (broken) job.stop = fallback.every(ms, fn);
      else worker.postMessage({ op: 'start', id, ms });
      return () => {
        jobs.delete(id);
        if (job.stop) job.stop();
        else if (!broken) worker.postMessage({ op: 'stop', id });
      };
    },
    dispose() {
      jobs.clear();
      fallback.dispose();
      if (!broken) {
        broken = true;
        worker.terminate();
        URL.revokeObjectURL(url);
      }
    },
  };
}
