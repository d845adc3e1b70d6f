// The buttons: open another tab, refresh now, sign out everywhere, sign in, sign in with OpenID
// (the code flow at the playground's provider, openid/sign-in.ts; signed in that way, "Sign in"
// goes there too and "Sign out everywhere" forgets the refresh token), and close the leader's tab.
//
// "Close the leader's tab" asks the leader, over the group's channel, to close itself with
// window.close(). Browsers let a script close a tab that a script opened (this page's "Open
// another tab") or whose history holds a single page; a tab the user opened and browsed in
// stays open, says so in its log, and this tab says so too: close that one by hand (its title
// starts with "leader").

import type { TokenCache } from '../../src/index';
import { api } from '../api';
import { openId } from '../app';
import { forgetRefreshToken } from '../openid/refresh';
import { startOpenIdSignIn } from '../openid/sign-in';
import { el, setText } from './dom';
import type { Group } from './group';
import { log } from './log';
import { forgetLastProtected } from './protected-panel';
import { callFailed, session, startCall } from './session';

const ui = {
  openTab: el<HTMLButtonElement>('open-tab'),
  refreshNow: el<HTMLButtonElement>('refresh-now'),
  signOut: el<HTMLButtonElement>('sign-out'),
  signIn: el<HTMLButtonElement>('sign-in'),
  signInOpenId: el<HTMLButtonElement>('sign-in-openid'),
  closeLeader: el<HTMLButtonElement>('close-leader'),
  note: el('actions-note'),
};

export function renderSignedIn(): void {
  el('signed-out').hidden = session.signedIn;
  document.body.classList.toggle('is-signed-out', !session.signedIn);
  ui.signIn.disabled = session.signedIn;
  ui.signIn.classList.toggle('primary', !session.signedIn);
  ui.refreshNow.disabled = !session.signedIn;
}

export interface ActionHooks {
  /** This tab is signed out (its own button, or a clear from elsewhere). */
  signedOut(): void;
  /** This tab signed in again. */
  signedIn(): void;
}

/** This tab is signed in again: by its own button, or by a token that another tab's sign-in brought. */
export function markSignedIn(hooks: ActionHooks, how: string): void {
  session.signedIn = true;
  session.epoch++;
  forgetLastProtected();
  log('page', how);
  renderSignedIn();
  hooks.signedIn();
}

export function startActions(cache: TokenCache, key: string, group: Group, hooks: ActionHooks): void {
  ui.openTab.addEventListener('click', () => {
    window.open(location.href, '_blank');
    log('page', 'opened another tab');
  });

  ui.refreshNow.addEventListener('click', async () => {
    if (!session.signedIn) return;
    const call = startCall();
    log('page', 'refresh now: getToken(key, { forceRefresh: true })');
    await cache.getToken(key, { forceRefresh: true }).catch((error: unknown) => {
      callFailed('forced refresh', error, call);
    });
  });

  ui.signOut.addEventListener('click', () => {
    if (openId) forgetRefreshToken();
    cache.clear();
    // The library emits 'clear' (origin 'local') for this too; signing out at once keeps the page
    // from making one more call in between.
    hooks.signedOut();
  });

  const signInWithOpenId = () => {
    log('page', "sign in with OpenID: to the provider's login");
    startOpenIdSignIn(key).catch((error: unknown) =>
      callFailed('sign-in with OpenID', error, undefined, true),
    );
  };
  ui.signInOpenId.addEventListener('click', signInWithOpenId);

  ui.signIn.addEventListener('click', async () => {
    if (session.signedIn) return;
    if (openId) {
      signInWithOpenId();
      return;
    }
    // A new refresh-token family (the httpOnly cookie rt), which the server's rotation mode needs.
    await api.signIn().catch((error: unknown) => callFailed('sign-in', error, undefined, true));
    markSignedIn(hooks, 'signed in');
  });

  ui.closeLeader.addEventListener('click', () => {
    const leader = group.tabs().find((tab) => tab.role === 'leader');
    if (!leader) {
      setText(ui.note, 'No tab leads right now.');
      return;
    }
    log('group', `asked the leader (${leader.id}) to close its tab`);
    setText(ui.note, '');
    group.askToClose(leader.id);
    if (leader.id === group.self.id) window.close();
    setTimeout(() => {
      if (group.tabs().some((tab) => tab.id === leader.id)) {
        setText(
          ui.note,
          `The leader's tab (${leader.id}) did not close: a browser lets a script close only a tab a script opened. Close it by hand.`,
        );
      }
    }, 1500);
  });

  group.onCloseAsked(() => {
    log('group', 'another tab asked this one, the leader, to close');
    window.close();
    // Still here: the browser refused (a tab the user opened); the log says why.
    setTimeout(
      () => log('group', 'this tab cannot close itself (the user opened it): close it by hand'),
      500,
    );
  });
}
