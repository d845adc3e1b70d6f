import { signedOut } from '../../src/errors.js';
import { makeJwt } from '../helpers.js';
import type { TabRuntime } from './tab-runtime.js';

export type EndpointMode = 'ok' | 'fail' | 'slow' | 'skew-once' | 'revoked';

/** One token request as the server saw it. */
export interface TokenRequest {
  readonly seq: number;
  readonly tab: string;
  readonly key: string;
  readonly startedAt: number;
  /** The refresh token presented (rotation). */
  readonly presented: number;
  mode: EndpointMode;
  /** The tab's fetchToken call is over: answered, failed, aborted, or its tab died. */
  settledAt?: number;
  /** The answer reached the tab's code (the app stored the new refresh token). */
  delivered?: boolean;
  /** Its failure reached the tab's code: the group can know the endpoint fails (R24). */
  failureSeen?: boolean;
  jti?: string;
}

/** A token the server issued: when, for how long (true time), and for which request. */
export interface Issued {
  readonly jti: string;
  readonly key: string;
  readonly request: TokenRequest;
  readonly issuedAt: number;
  readonly ttlMs: number;
}

/**
 * The token endpoint of the simulation, with the app's fetchToken in front of it. It answers
 * after `latencyMs` (`slow`: after `slowMs`, past fetchTimeoutMs if the schedule wants), fails, or
 * issues one token from a clock a day ahead (`skew-once`), or says the session is gone (`revoked`:
 * the app's fetchToken throws `signedOut`, R29, a sign-out of the group). With rotation, every request presents
 * the refresh token the app holds (one value shared by the origin's tabs, like localStorage) and
 * the answer replaces it: a used one presented again is reuse, counted with the requests involved.
 */
export class Endpoint {
  mode: EndpointMode = 'ok';
  /** Who is signed in: the `sub` of every token issued from now on (R30). */
  user = 'user_1';
  ttlSeconds = 20;
  latencyMs = 20;
  slowMs = 4_000;
  /** The app's fetchToken ignores its abort signal: the request runs to its end regardless. */
  ignoresAbort = false;
  readonly requests: TokenRequest[] = [];
  readonly issued = new Map<string, Issued>();
  /** Reuse: a refresh token presented again while the request that used it was answered or in flight. */
  readonly reuse: { first: TokenRequest; again: TokenRequest }[] = [];
  /** Called as each request reaches the endpoint. */
  onRequest: (request: TokenRequest) => void = () => {};
  /** Called on the tab's thread as its fetchToken is told the session is gone: the sign-out's moment. */
  onRevoked: (request: TokenRequest) => void = () => {};
  #appRefreshToken = 0;
  readonly #usedBy = new Map<number, TokenRequest>();
  /** The global step counter of the world, so requests and clears can be ordered. */
  readonly #nextSeq: () => number;

  constructor(nextSeq: () => number) {
    this.#nextSeq = nextSeq;
  }

  /** The fetchToken of tab `tab`: answers reach the tab's code on its thread. */
  fetchTokenFor(tab: string, runtime: TabRuntime) {
    return (key: string, { signal }: { signal: AbortSignal }): Promise<string> => {
      const request: TokenRequest = {
        seq: this.#nextSeq(),
        tab,
        key,
        startedAt: Date.now(),
        presented: this.#appRefreshToken,
        mode: this.mode === 'skew-once' ? 'skew-once' : this.mode,
      };
      if (this.mode === 'skew-once') this.mode = 'ok';
      this.requests.push(request);
      this.#spend(request);
      this.onRequest(request);
      const wait = request.mode === 'slow' ? this.slowMs : this.latencyMs;
      return new Promise<string>((resolve, reject) => {
        const settle = () => {
          request.settledAt ??= Date.now();
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          if (runtime.crashed) return settle();
          runtime.run(() => {
            settle();
            if (request.mode === 'fail') {
              request.failureSeen = true;
              return reject(new Error('503 Service Unavailable'));
            }
            if (request.mode === 'revoked') {
              this.onRevoked(request);
              return reject(signedOut(`revoked #${request.seq}`));
            }
            request.delivered = true;
            this.#appRefreshToken = request.presented + 1_000_000 + request.seq;
            resolve(this.#issue(request));
          });
        }, wait);
        const onAbort = () => {
          if (this.ignoresAbort) return;
          clearTimeout(timer);
          settle();
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
    };
  }

  /**
   * A token the app's server minted `ageMs` ago while rendering a page (R31: seeded, no request
   * reached the token endpoint for it).
   */
  mint(key: string, ageMs: number): string {
    const request: TokenRequest = {
      seq: this.#nextSeq(),
      tab: 'server-render',
      key,
      startedAt: Date.now() - ageMs,
      presented: -1,
      mode: 'ok',
      settledAt: Date.now() - ageMs,
    };
    return this.#issue(request, Date.now() - ageMs);
  }

  /** A tab died: its requests at the server will never be answered to it. */
  lost(tab: string): void {
    for (const r of this.requests) if (r.tab === tab) r.settledAt ??= Date.now();
  }

  /** Requests whose fetchToken call had not settled at `now`. */
  inFlight(): TokenRequest[] {
    return this.requests.filter((r) => r.settledAt === undefined);
  }

  #spend(request: TokenRequest): void {
    const first = this.#usedBy.get(request.presented);
    if (first && (first.delivered || first.settledAt === undefined))
      this.reuse.push({ first, again: request });
    this.#usedBy.set(request.presented, request);
  }

  #issue(request: TokenRequest, at = Date.now()): string {
    const jti = `jti-${request.seq}`;
    const ahead = request.mode === 'skew-once' ? 86_400 : 0;
    const iat = Math.floor(at / 1000) + ahead;
    request.jti = jti;
    this.issued.set(jti, {
      jti,
      key: request.key,
      request,
      issuedAt: at,
      ttlMs: this.ttlSeconds * 1000,
    });
    return makeJwt({ sub: this.user, key: request.key, iat, exp: iat + this.ttlSeconds, jti });
  }
}
