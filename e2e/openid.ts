// The scenarios' side of the playground's OpenID Provider (playground/server/openid/): signing in
// through its login form in a tab, as a user does; when the provider revoked a grant.

import type { Page } from '@playwright/test';
import { expect } from './fixtures';
import type { TestWindow } from './page-state';
import type { PageWatch } from './page-watch';
import { click } from './shown';

/**
 * "Sign in with OpenID" in a dashboard tab: the code flow with PKCE through the provider's
 * development login (any login and password). Resolves once the tab is back on its page, now with
 * `auth=oidc`, and its cache runs: the grant's refresh token is in the origin's localStorage.
 */
export async function signInWithOpenId(page: Page, pageErrors: PageWatch, login = 'ada'): Promise<void> {
  await pageErrors.navigating(page, async () => {
    await click(page, 'sign-in-openid');
    await page.waitForFunction(() => document.querySelector('input[name=login]') !== null);
    await page.evaluate((login) => {
      const field = (name: string) => document.querySelector(`input[name=${name}]`) as HTMLInputElement;
      field('login').value = login;
      field('password').value = 'any password';
      (document.querySelector('button[type=submit]') as HTMLButtonElement).click();
    }, login);
    await page.waitForFunction(
      () =>
        /[?&]auth=oidc/.test(location.search) &&
        (window as unknown as Partial<TestWindow>).tokenCache !== undefined,
    );
  });
}

/** Waits until the provider has revoked a grant (reuse detected); resolves when, from `since`. */
export async function revokedAfter(
  read: () => Promise<number>,
  since: number,
  timeout: number,
): Promise<number> {
  await expect.poll(read, { timeout, intervals: [50] }).toBeGreaterThanOrEqual(1);
  return Date.now() - since;
}
