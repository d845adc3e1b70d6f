/**
 * The page's lifecycle, behind one seam. A no-op where there is no document or window (Node,
 * SSR, workers).
 *
 * - R17: the tab becomes visible, or the browser comes back online → revalidate stale tokens.
 * - R22: the page is hidden for good or enters the back/forward cache (`pagehide`), or the
 *   browser freezes it (`freeze`, Page Lifecycle API) → leave the group at once (so a closing or
 *   frozen leader hands over without waiting for the browser to tear the page down or for a
 *   follower to steal); it comes back (`pageshow` with `persisted`, `resume`) → rejoin.
 *   `pagehide`/`pageshow` never keep a page out of that cache; `unload` and `beforeunload` would,
 *   and are never used.
 */
export type Unsubscribe = () => void;

export interface LifecycleHandlers {
  revalidate(): void;
  /** Leaving: the page closes, navigates away, or enters the back/forward cache. */
  hide(): void;
  /** Restored from the back/forward cache, or resumed after a freeze. */
  show(): void;
}

export type WatchLifecycle = (handlers: LifecycleHandlers) => Unsubscribe;

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
  doc?.addEventListener('visibilitychange', onVisibility);
  doc?.addEventListener('freeze', onHide);
  doc?.addEventListener('resume', onResume);
  win?.addEventListener('online', onOnline);
  win?.addEventListener('pagehide', onHide);
  win?.addEventListener('pageshow', onShow);
  return () => {
    doc?.removeEventListener('visibilitychange', onVisibility);
    doc?.removeEventListener('freeze', onHide);
    doc?.removeEventListener('resume', onResume);
    win?.removeEventListener('online', onOnline);
    win?.removeEventListener('pagehide', onHide);
    win?.removeEventListener('pageshow', onShow);
  };
};
