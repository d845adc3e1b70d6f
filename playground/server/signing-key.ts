// The token server's signing key: an ES256 key pair made by jose at start-up, with the key id
// (`kid`) that the tokens' header and the JWKS carry.

import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningKeys {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  /** The public key as /.well-known/jwks.json serves it (never the private part). */
  jwk: JWK;
}

export interface SigningKey {
  readonly kid: string;
  /** Resolves once the key pair exists; a failure to make it rejects (never unhandled). */
  readonly keys: Promise<SigningKeys>;
}

export function createSigningKey(): SigningKey {
  const kid = `playground-${randomUUID().slice(0, 8)}`;
  const keys = (async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    return { publicKey, privateKey, jwk };
  })();
  // Keep an early failure from being an unhandled rejection; the server reports it as a 500.
  keys.catch(() => {});
  return { kid, keys };
}
