import type { Tab, World } from './world.js';

// What can happen to a page, as the browser does it: each takes the world, the tab, and how long
// (hang, away). Used by the random schedules (commands.ts) and by scripted scenarios.

export type Fate = 'close' | 'crash' | 'close-cache' | 'hang' | 'away' | 'revalidate' | 'cancel';

/** Between `beforeunload` and `pagehide`: the next document is being fetched, this one still runs. */
export const NAVIGATION_MS = 100;

function die(world: World, tab: Tab): void {
  tab.runtime.crash();
  world.endpoint.lost(tab.id);
}

/** pagehide into the back/forward cache, unless the tab is gone meanwhile; pageshow after `ms`. */
function goAway(world: World, tab: Tab, ms: number): void {
  if (tab.state !== 'open' || tab.cacheClosed) return;
  tab.runtime.lifecycle('hide');
  tab.state = 'away';
  world.pause(tab);
  tab.runtime.hang();
  setTimeout(() => {
    if (tab.state !== 'away') return;
    tab.state = 'open';
    tab.backAt = world.now;
    world.resume(tab);
    void tab.runtime.thaw().then(() => tab.runtime.lifecycle('show'));
  }, ms);
}

export const pageFates: Record<Fate, (world: World, tab: Tab, ms: number) => void> = {
  /** beforeunload (a tab the user closes), pagehide, then the browser tears the page down: its locks go, its channel closes. */
  close(world, tab) {
    tab.runtime.lifecycle('beforeunload');
    tab.runtime.lifecycle('hide');
    tab.state = 'closed';
    setTimeout(() => die(world, tab), 1);
  },
  /** Gone with no pagehide: only the browser frees its locks. */
  crash(world, tab) {
    tab.state = 'crashed';
    die(world, tab);
  },
  /** The app calls close() on its cache. */
  'close-cache'(_world, tab) {
    tab.cacheClosed = true; // the page stays: its pending calls must end now (R19, R27)
    void tab.cache.close();
  },
  /** A busy main thread: nothing of the tab runs for `ms`, then what piled up runs in order. */
  hang(world, tab, ms) {
    world.pause(tab);
    tab.runtime.hang();
    setTimeout(() => {
      world.resume(tab);
      void tab.runtime.thaw();
    }, ms);
  },
  /**
   * The back/forward cache: beforeunload, the next document fetched meanwhile, pagehide, nothing
   * runs (messages to it are lost), pageshow after `ms`.
   */
  away(world, tab, ms) {
    tab.runtime.lifecycle('beforeunload');
    setTimeout(() => goAway(world, tab, ms), NAVIGATION_MS);
  },
  /** A navigation that never happens (a prompt cancelled it, or it became a download): beforeunload alone. */
  cancel(_world, tab) {
    tab.runtime.lifecycle('beforeunload');
  },
  /** Visible again, or back online (R17). */
  revalidate(_world, tab) {
    tab.runtime.lifecycle('revalidate');
  },
};
