// What the OpenID Provider (provider.ts) and the page (playground/openid/) agree on: where the
// provider is, its client, and the audience of each cache key's access tokens. No Node import in
// here, so that the page imports these instead of copying them.

/** Where the provider is mounted on the playground's origin: the issuer is `<origin>/oidc`. */
export const OPENID_PATH = '/oidc';
/** The page's client: public (no secret), so PKCE is required. */
export const CLIENT_ID = 'playground';
/** The scope of the playground's API (/api/protected) in every access token. */
export const OPENID_SCOPE = 'api';

const RESOURCE_PREFIX = 'urn:tab-token-cache:playground:';
/** The keys a sign-in asks access for (and any other key in the page's URL). */
export const OPENID_KEYS = ['default', 'second'] as const;

/**
 * The resource indicator (RFC 8707) of a cache key: the audience (`aud`) of its access tokens.
 * One key, one audience: a token for one key is refused where another key's is asked for.
 */
export function resourceOf(key: string): string {
  return `${RESOURCE_PREFIX}${key}`;
}

/** The cache key of a resource indicator, or undefined when it is not one of ours. */
export function keyOfResource(resource: string): string | undefined {
  if (!resource.startsWith(RESOURCE_PREFIX)) return undefined;
  const key = resource.slice(RESOURCE_PREFIX.length);
  return /^[\w.-]{1,64}$/.test(key) ? key : undefined;
}
