// The OpenID Provider's storage (oidc-provider's adapter interface): in memory, as the provider's
// own development adapter, plus an optional *reuse grace* for refresh tokens.
//
// oidc-provider is strict: a refresh token presented after it was used up (consumed) revokes the
// whole grant (lib/actions/grants/refresh_token.js). With a grace of N seconds, a refresh token
// consumed less than N seconds ago is shown to the provider as not consumed yet, so presenting it
// again rotates it once more instead of revoking: the answer to a refresh lost in flight (a tab
// closed or crashed while the provider answered). Auth0 calls this the "reuse interval", Okta
// the "grace period"; 0 (the default) is oidc-provider as it ships.

import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Stored {
  payload: AdapterPayload;
  /** Epoch ms after which find() forgets it; undefined: never. */
  expiresAt: number | undefined;
}

/**
 * One store for all the provider's models, as oidc-provider's `adapter` option (a factory of one
 * adapter per model). `now` is the server's clock in epoch ms; refresh tokens consumed less than
 * `graceSeconds()` seconds ago still rotate (0: strict), read at each lookup.
 */
export function createOpenIdStorage(
  now: () => number,
  graceSeconds: () => number,
): (name: string) => Adapter {
  const items = new Map<string, Stored>();
  const grants = new Map<string, Set<string>>();
  const uids = new Map<string, string>();
  const userCodes = new Map<string, string>();

  return (name) => {
    const id = (value: string) => `${name}:${value}`;
    const read = (key: string): AdapterPayload | undefined => {
      const stored = items.get(key);
      if (stored === undefined) return undefined;
      if (stored.expiresAt !== undefined && stored.expiresAt <= now()) {
        items.delete(key);
        return undefined;
      }
      return stored.payload;
    };
    return {
      async upsert(value, payload, expiresIn) {
        const key = id(value);
        items.set(key, {
          payload: { ...payload },
          expiresAt: expiresIn === undefined ? undefined : now() + expiresIn * 1000,
        });
        if (payload.grantId !== undefined) {
          const ids = grants.get(payload.grantId) ?? new Set<string>();
          ids.add(key);
          grants.set(payload.grantId, ids);
        }
        if (payload.uid !== undefined) uids.set(payload.uid, value);
        if (payload.userCode !== undefined) userCodes.set(payload.userCode, value);
      },
      async find(value) {
        const payload = read(id(value));
        if (payload === undefined) return undefined;
        const consumedAt = typeof payload.consumed === 'number' ? payload.consumed : undefined;
        const inGrace =
          name === 'RefreshToken' && consumedAt !== undefined && now() / 1000 - consumedAt < graceSeconds();
        return inGrace ? { ...payload, consumed: undefined } : { ...payload };
      },
      async findByUid(uid) {
        const value = uids.get(uid);
        return value === undefined ? undefined : read(id(value));
      },
      async findByUserCode(userCode) {
        const value = userCodes.get(userCode);
        return value === undefined ? undefined : read(id(value));
      },
      async consume(value) {
        const payload = read(id(value));
        // The first consumption is the one the grace counts from.
        if (payload !== undefined && payload.consumed === undefined)
          payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(value) {
        items.delete(id(value));
      },
      async revokeByGrantId(grantId) {
        for (const key of grants.get(grantId) ?? []) items.delete(key);
        grants.delete(grantId);
      },
    };
  };
}
