// The React recipe of docs/recipes.md, as it is: a hook over useSyncExternalStore.

import { useEffect, useSyncExternalStore } from 'react';
import { tokens } from './tokens';

export function useToken(key = 'default'): string | null {
  const token = useSyncExternalStore(
    (changed) => {
      const offToken = tokens.on('token', (e) => e.key === key && changed());
      const offClear = tokens.on('clear', changed);
      return () => {
        offToken();
        offClear();
      };
    },
    () => tokens.peekToken(key),
    () => null, // on the server
  );
  useEffect(() => {
    if (token === null) tokens.getToken(key).catch(() => {}); // failures arrive as 'error' events
  }, [key, token]);
  return token;
}

/** Whether this tab leads, for the page to show. */
export function useIsLeader(): boolean {
  return useSyncExternalStore(
    (changed) => tokens.on('leader', changed),
    () => tokens.isLeader,
    () => false,
  );
}
