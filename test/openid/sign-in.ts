// A sign-in at the playground's OpenID Provider from Node, as a browser would make it: the
// authorization code flow with PKCE through the provider's development login (any login and
// password), with a cookie jar of its own. Resolves the first tokens of the grant.

import { createHash, randomBytes } from 'node:crypto';
import {
  CLIENT_ID,
  OPENID_KEYS,
  OPENID_PATH,
  OPENID_SCOPE,
  resourceOf,
} from '../../playground/server/openid/resources';

export interface OpenIdTokens {
  access_token: string;
  refresh_token: string;
}

/** Signs `login` in at the provider of the playground at `base`; `key` is the first token's key. */
export async function signInWithOpenId(base: string, login = 'ada', key = 'default'): Promise<OpenIdTokens> {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(new URL(url, base), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie },
    });
    for (const set of res.headers.getSetCookie()) {
      const [pair = ''] = set.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  const location = (res: Response): string => {
    const to = res.headers.get('location');
    if (to === null) throw new Error(`expected a redirect, got ${res.status}`);
    return to;
  };
  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = new URL('/', base).href;
  const auth = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: `openid ${OPENID_SCOPE}`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  });
  for (const each of OPENID_KEYS) auth.append('resource', resourceOf(each));

  const interaction = location(await send(`${OPENID_PATH}/auth?${auth}`));
  await send(interaction); // the login page
  const resume = location(await send(interaction, form({ prompt: 'login', login, password: 'any' })));
  const back = new URL(location(await send(resume)), base);
  const code = back.searchParams.get('code');
  if (code === null) throw new Error(`no code in ${back.href}`);

  const res = await send(
    `${OPENID_PATH}/token`,
    form({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      resource: resourceOf(key),
    }),
  );
  const body = (await res.json()) as OpenIdTokens & { error?: string; error_description?: string };
  if (!res.ok)
    throw new Error(`token endpoint answered ${res.status}: ${body.error} ${body.error_description}`);
  return body;
}
