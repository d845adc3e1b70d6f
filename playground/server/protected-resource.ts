// GET /api/protected with `Authorization: Bearer <jwt>`: the API an app calls with its token.
// 200 { sub, key } for a token signed by the server's key and not expired on its clock (no
// tolerance: refused from its exp second on), else 401 { error: 'expired' | 'invalid' | 'missing' }
// with `WWW-Authenticate: Bearer`. Counted as accepted or rejected in /api/stats.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, jwtVerify } from 'jose';
import type { Counters } from './counters.js';
import { sendJson } from './http.js';
import type { SigningKey } from './signing-key.js';

export interface ProtectedResourceOptions {
  counters: Counters;
  signingKey: SigningKey;
  /** The server's clock in epoch ms. */
  now: () => number;
}

export function createProtectedResource({ counters, signingKey, now }: ProtectedResourceOptions) {
  return async function protectedResource(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuse = (error: 'expired' | 'invalid' | 'missing') => {
      counters.rejected();
      sendJson(res, 401, { error }, { 'www-authenticate': 'Bearer' });
    };
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    const jwt = match?.[1];
    if (jwt === undefined) {
      refuse('missing');
      return;
    }
    const { publicKey } = await signingKey.keys;
    try {
      const { payload } = await jwtVerify(jwt, publicKey, {
        algorithms: ['ES256'],
        currentDate: new Date(now()),
      });
      counters.accepted();
      sendJson(res, 200, { sub: payload.sub, key: payload.key });
    } catch (err) {
      refuse(err instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
  };
}
