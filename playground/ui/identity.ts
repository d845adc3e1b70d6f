// Who is signed in (R30): the `sub` of the token this tab holds, the library's `identity` event
// when it changes (another user signed in, in any tab), and the "Sign in as another user" button,
// which makes the token server issue tokens for another user and gets one at once.

import type { TokenCache } from '../../src/index';
import { api } from '../api';
import { openId } from '../app';
import { el, setText } from './dom';
import { log } from './log';
import { jtiOf } from './token-panel';

const USERS = ['user_demo', 'ada', 'grace'];

export function startIdentity(cache: TokenCache, key: string, mark: (label: string) => void): void {
  const shown = el('identity');
  const button = el<HTMLButtonElement>('switch-user');
  const show = (user: string, previous?: string) => {
    setText(shown, user);
    if (previous !== undefined) shown.dataset.previous = previous;
  };
  cache.on('token', ({ token }) => {
    const { sub } = jtiOf(token).claims;
    if (sub !== undefined && shown.textContent === '') show(sub);
  });
  cache.on('identity', ({ previous, current }) => {
    show(current, previous);
    log('identity', `signed-in user changed: ${previous} → ${current}`);
    mark(`user ${previous} → ${current}`);
  });
  // Signed in with OpenID, another user is another login at the provider: its "Sign in with
  // OpenID" (the provider's session may answer without a form; sign out there first).
  button.hidden = openId;
  button.addEventListener('click', () => {
    const current = shown.textContent || USERS[0];
    const next = USERS[(USERS.indexOf(current ?? '') + 1) % USERS.length] ?? 'user_demo';
    void api
      .setControl({ user: next })
      .then(() => cache.getToken(key, { forceRefresh: true }))
      .catch((error: unknown) => log('error', `sign in as ${next}: ${String(error)}`));
  });
}
