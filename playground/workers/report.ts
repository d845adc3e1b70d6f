// What a worker's cache tells the page (and the tests) about itself: the token it serves now,
// whether it leads, how many tokens it fetched itself.

import { decodeJwt } from 'jose';
import type { ResolvedOptions, TokenCache } from '../../src/index';

/** The options a page passes on to its workers: its own, without the functions. */
export type WorkerOptions = Omit<ResolvedOptions, 'fetchToken' | 'verifyToken' | 'identityOf'>;

export interface WorkerReport {
  jti: string | null;
  isLeader: boolean;
  fetches: number;
  error?: string;
}

export function optionsForWorkers(options: ResolvedOptions): WorkerOptions {
  const { fetchToken: _f, verifyToken: _v, identityOf: _i, ...rest } = options;
  return rest;
}

export async function workerReport(cache: TokenCache, key = 'default'): Promise<WorkerReport> {
  try {
    const token = await cache.getToken(key);
    const { jti } = decodeJwt(token);
    const { fetches, isLeader } = cache.stats();
    return { jti: jti ?? null, isLeader, fetches };
  } catch (error) {
    const { fetches, isLeader } = cache.stats();
    return { jti: null, isLeader, fetches, error: String(error) };
  }
}
