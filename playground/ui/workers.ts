/// <reference types="vite/client" />
// Workers in the group (R32), for the console and the end-to-end tests:
// `window.playgroundWorkers.dedicated()` starts (once) a dedicated worker with a cache of the
// page's options and resolves with its report (workers/report.ts); `shared()` the same with a
// shared worker; `serviceWorker()` registers the playground's service worker (sw.ts), waits
// until it controls the page, and asks it.

import type { TokenCache } from '../../src/index';
import { optionsForWorkers, type WorkerReport } from '../workers/report';

declare global {
  interface Window {
    playgroundWorkers: {
      dedicated(): Promise<WorkerReport>;
      shared(): Promise<WorkerReport>;
      serviceWorker(): Promise<WorkerReport>;
    };
  }
}

export function startWorkers(cache: TokenCache): void {
  const options = optionsForWorkers(cache.options);
  let worker: Worker | undefined;
  let shared: SharedWorker | undefined;
  let nextId = 0;
  /** Sends the options to a worker's port and resolves with the report it answers. */
  const ask = (port: Worker | MessagePort): Promise<WorkerReport> => {
    const id = ++nextId;
    return new Promise<WorkerReport>((resolve) => {
      const onMessage = (event: MessageEvent<{ id: number; report: WorkerReport }>) => {
        if (event.data.id !== id) return;
        port.removeEventListener('message', onMessage as EventListener);
        resolve(event.data.report);
      };
      port.addEventListener('message', onMessage as EventListener);
      if (port instanceof MessagePort) port.start();
      port.postMessage({ id, options });
    });
  };
  window.playgroundWorkers = {
    dedicated() {
      worker ??= new Worker(new URL('../workers/dedicated.ts', import.meta.url), { type: 'module' });
      return ask(worker);
    },
    shared() {
      shared ??= new SharedWorker(new URL('../workers/shared.ts', import.meta.url), { type: 'module' });
      return ask(shared.port);
    },
    async serviceWorker() {
      const script = import.meta.env.DEV ? '/sw.ts' : '/sw.js';
      await navigator.serviceWorker.register(script, { type: 'module', scope: '/' });
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((resolve) =>
          navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
        );
      }
      const query = new URLSearchParams({ options: JSON.stringify(options) });
      return (await fetch(`/sw/token?${query}`)).json() as Promise<WorkerReport>;
    },
  };
}
