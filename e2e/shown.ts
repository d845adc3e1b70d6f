// What a dashboard tab shows, read the same way in every engine's lane: a data-testid element's
// text, whether it is shown, an attribute; and a click on it. (Playwright's locators would wait
// and match on their own, but the WebKit lane's pages are not Playwright's: webkit/page.ts.) A
// scenario waits on these with `expect.poll`.

import type { Page } from '@playwright/test';

/** The element's text, whitespace collapsed as Playwright's toHaveText does; null when there is none. */
export function textOf(page: Page, testId: string): Promise<string | null> {
  return page.evaluate((id) => {
    const text = document.querySelector(`[data-testid="${id}"]`)?.textContent;
    return text == null ? null : text.replace(/\s+/g, ' ').trim();
  }, testId);
}

/** Whether the element is there and visible (Playwright's toBeVisible; false is its toBeHidden). */
export function isShown(page: Page, testId: string): Promise<boolean> {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    return el instanceof HTMLElement && el.checkVisibility();
  }, testId);
}

export function attributeOf(page: Page, testId: string, name: string): Promise<string | null> {
  return page.evaluate(
    ([id, name]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute(name) ?? null,
    [testId, name] as const,
  );
}

export async function click(page: Page, testId: string): Promise<void> {
  await page.evaluate((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (!(el instanceof HTMLElement)) throw new Error(`no element with data-testid ${id}`);
    el.click();
  }, testId);
}
