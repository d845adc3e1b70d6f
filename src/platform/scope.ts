/**
 * Where the cache runs. A service worker never leads (R32): the browser stops an idle one at any
 * moment, and with it a leader's poll. Read when a cache starts, never at module load (SSR).
 */
export function inServiceWorker(): boolean {
  const scope = (globalThis as { ServiceWorkerGlobalScope?: abstract new () => unknown })
    .ServiceWorkerGlobalScope;
  return typeof scope === 'function' && globalThis instanceof scope;
}
