/**
 * Moments to revalidate stale tokens (R17): the tab becomes visible, or the browser comes back
 * online. A no-op where there is no document or window (Node, SSR, workers).
 */
export type Unsubscribe = () => void;

export function onRevalidateMoment(fn: () => void): Unsubscribe {
  const doc = (globalThis as { document?: Document }).document;
  const win = (globalThis as { window?: Window }).window;
  const onVisibility = () => {
    if (doc?.visibilityState === 'visible') fn();
  };
  doc?.addEventListener('visibilitychange', onVisibility);
  win?.addEventListener('online', fn);
  return () => {
    doc?.removeEventListener('visibilitychange', onVisibility);
    win?.removeEventListener('online', fn);
  };
}
