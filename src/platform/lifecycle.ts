/**
 * The page's lifecycle, behind one seam. A no-op where there is no document or window (Node,
 * SSR, workers).
 *
 * - R17: the tab becomes visible, or the browser comes back online → revalidate stale tokens.
 * - R22: the page is hidden for good or enters the back/forward cache (`pagehide`), or the
 *   browser freezes it (`freeze`, Page Lifecycle API) → leave the group at once (so a closing or
 *   frozen leader hands over without waiting for the browser to tear the page down or for a
 *   follower to steal); it comes back (`pageshow` with `persisted`, `resume`) → rejoin.
 *   `pagehide`/`pageshow` never keep a page out of that cache; `unload` would, and is never used.
 * - R11: Firefox keeps no page that holds or waits for a Web Lock, and checks that before
 *   `pagehide`. So while this tab holds or waits for one (`locking`), a `beforeunload` listener
 *   leaves the group as `pagehide` does, marked as a leave the page may survive (another listener
 *   cancelled the navigation, or it became a download). It never cancels anything (no
 *   `preventDefault`, no `returnValue`), and a `beforeunload` listener alone keeps no page out of
 *   the cache in Chromium, Firefox or WebKit.
 */

export interface LifecycleHandlers {
  revalidate(): void;
  /** Leaving: the page closes, navigates away, or enters the back/forward cache; `mayStay` at `beforeunload`. */
  hide(mayStay?: boolean): void;
  /** Restored from the back/forward cache, or resumed after a freeze. */
  show(): void;
}

export interface Lifecycle {
  /** Stops watching. */
  stop(): void;
  /** Whether this tab holds or waits for a lock: the `beforeunload` listener is there only then (R11). */
  locking(busy: boolean): void;
}

export type WatchLifecycle = (handlers: LifecycleHandlers) => Lifecycle;

export const watchLifecycle: WatchLifecycle = (handlers) => {
  const doc = (globalThis as { document?: Document }).document;
  const win = (globalThis as { window?: Window }).window;
  const onVisibility = () => {
    if (doc?.visibilityState === 'visible') handlers.revalidate();
  };
  const onOnline = () => handlers.revalidate();
  const onHide = () => handlers.hide();
  const onShow = (event: PageTransitionEvent) => {
    if (event.persisted) handlers.show();
  };
  const onResume = () => handlers.show();
  const onBeforeUnload = () => handlers.hide(true);
  const locking = (busy: boolean) => {
    if (busy) win?.addEventListener('beforeunload', onBeforeUnload);
    else win?.removeEventListener('beforeunload', onBeforeUnload);
  };
  const listeners: [EventTarget | undefined, string, EventListener][] = [
    [doc, 'visibilitychange', onVisibility],
    [doc, 'freeze', onHide],
    [doc, 'resume', onResume],
    [win, 'online', onOnline],
    [win, 'pagehide', onHide],
    [win, 'pageshow', onShow as EventListener],
  ];
  for (const [target, type, listener] of listeners) target?.addEventListener(type, listener);
  return {
    locking,
    stop() {
      locking(false);
      for (const [target, type, listener] of listeners) target?.removeEventListener(type, listener);
    },
  };
};
