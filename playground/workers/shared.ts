// A shared worker with a cache of its own in the page's group (R32): every page of the origin
// that connects shares this one worker; it gets the group's token from the leader. The page
// (ui/workers.ts) sends it the cache's options, then asks it for its token.

import { createTokenCache, type TokenCache } from '../../src/index';
import { fetchToken, verifyToken } from '../app';
import { type WorkerOptions, workerReport } from './report';

let cache: TokenCache | undefined;

const scope = self as unknown as { onconnect: ((event: MessageEvent) => void) | null };
scope.onconnect = (event) => {
  const port = event.ports[0];
  if (!port) return;
  port.onmessage = async (message: MessageEvent<{ options: WorkerOptions; id: number }>) => {
    cache ??= createTokenCache({ ...message.data.options, fetchToken, verifyToken });
    port.postMessage({ id: message.data.id, report: await workerReport(cache) });
  };
};
