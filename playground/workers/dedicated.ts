// A dedicated worker of the page with a cache of its own in the page's group (R32): it gets the
// group's token from the leader, and may lead itself. The page (ui/workers.ts) sends it the
// cache's options, then asks it for its token.

import { createTokenCache, type TokenCache } from '../../src/index';
import { fetchToken, verifyToken } from '../app';
import { type WorkerOptions, type WorkerReport, workerReport } from './report';

let cache: TokenCache | undefined;

self.onmessage = async (event: MessageEvent<{ options: WorkerOptions; id: number }>) => {
  cache ??= createTokenCache({ ...event.data.options, fetchToken, verifyToken });
  const report: WorkerReport = await workerReport(cache);
  self.postMessage({ id: event.data.id, report });
};
