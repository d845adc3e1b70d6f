import type { Internals, TokenCache } from '../src/create.js';
import type { TokenCacheEvents } from '../src/events.js';
import type { LifecycleHandlers, WatchLifecycle } from '../src/platform/lifecycle.js';
import { mainThreadTimers, type Timers } from '../src/platform/timers.js';
import { libraryTransport as openTransport } from '../src/wire/library-transport.js';
import type { OpenTransport, Transport } from '../src/wire/transport.js';
import { pass, type useSimulatedTabs } from './helpers.js';

// Tabs of one group in one process: a tab that can be silenced (frozen), and small helpers to
// open a group, find its leader, and let a cross-tab call or a close() complete.

/**
 * A tab that stops working while it keeps its locks (a frozen or hung tab): its poll does not
 * tick and it neither sends nor receives messages.
 */
export function silenceable(): Internals & { silence(on: boolean): void } {
  let silent = false;
  const base = mainThreadTimers();
  const timers: Timers = {
    kind: 'main',
    every: (ms, fn) =>
      base.every(ms, () => {
        if (!silent) fn();
      }),
    after: (ms, fn, background) => base.after(ms, fn, background),
    dispose: () => base.dispose(),
  };
  return {
    silence(on) {
      silent = on;
    },
    timers,
    openTransport(name, handlers) {
      const t = openTransport(name, {
        onMessage: (data) => {
          if (!silent) handlers.onMessage(data);
        },
        onMalformed: handlers.onMalformed,
      });
      const wrapped: Transport = {
        post: (m) => (silent ? Promise.resolve() : t.post(m)),
        close: () => t.close(),
      };
      return wrapped;
    },
  };
}

/** Every `event` the cache emits from now on, in order. */
export function eventsOf<E extends keyof TokenCacheEvents>(
  cache: TokenCache,
  event: E,
): Parameters<TokenCacheEvents[E]>[0][] {
  const seen: Parameters<TokenCacheEvents[E]>[0][] = [];
  const record = (payload: Parameters<TokenCacheEvents[E]>[0]) => {
    seen.push(payload);
  };
  cache.on(event, record as TokenCacheEvents[E]);
  return seen;
}

export function leaders(caches: TokenCache[]): TokenCache[] {
  return caches.filter((c) => c.isLeader);
}

/** Awaits a call that crosses tabs: the in-process channel delivers after a few ms of fake time. */
export async function across<T>(p: Promise<T> | undefined, ms = 50): Promise<T | undefined> {
  await pass(ms);
  return p;
}

export async function closeNow(cache: TokenCache): Promise<void> {
  const closing = cache.close();
  await pass(50);
  await closing;
}

type Tabs = ReturnType<typeof useSimulatedTabs>;

export function groupOf(tabs: Tabs) {
  /** A cache starts on first use (R19): a read makes it join the group. */
  const open = (options: Parameters<Tabs['open']>[0] = {}, internals: Internals = {}): TokenCache => {
    const cache = tabs.open(options, internals);
    cache.peekToken();
    return cache;
  };
  /** `n` started tabs, settled (one of them leads). */
  const group = async (n: number, options: Parameters<Tabs['open']>[0] = {}): Promise<TokenCache[]> => {
    const caches = Array.from({ length: n }, () => open(options));
    await pass(200);
    return caches;
  };
  /** A leader that can be silenced (frozen), opened first, and `n` followers after it, settled. */
  const silenceableLeaderWith = async (n: number) => {
    const control = silenceable();
    const leader = open({}, control);
    await pass(200);
    const followers = Array.from({ length: n }, () => open());
    await pass(200);
    return { control, leader, followers };
  };
  /** A leader whose page lifecycle the test drives, opened first, two followers, and their token. */
  const leaderWithPage = async () => {
    const page = fakeLifecycle();
    const leader = open({}, { watchLifecycle: page.watch });
    await pass(200);
    const others = [open(), open()];
    await pass(200);
    const token = await across(others[0]?.getToken(), 100);
    return { page, leader, others, token };
  };
  return { open, group, silenceableLeaderWith, leaderWithPage };
}

/** A tab's page lifecycle, driven by the test (R17, R22). */
export function fakeLifecycle(): {
  watch: WatchLifecycle;
  hide(): void;
  show(): void;
  revalidate(): void;
  /** A navigation starts: `beforeunload`, heard only while the tab holds or waits for a lock (R11). */
  beforeUnload(): void;
  /** Whether the tab listens for `beforeunload` now. */
  readonly listening: boolean;
} {
  let handlers: LifecycleHandlers | undefined;
  let listening = false;
  return {
    watch: (h) => {
      handlers = h;
      return {
        stop: () => {
          handlers = undefined;
          listening = false;
        },
        locking: (busy) => {
          listening = busy;
        },
      };
    },
    get listening() {
      return listening;
    },
    beforeUnload: () => {
      if (listening) handlers?.hide(true);
    },
    hide: () => handlers?.hide(),
    show: () => handlers?.show(),
    revalidate: () => handlers?.revalidate(),
  };
}

/** Timers that count what a tab asks of them and how often they wake it. */
export function countingTimers(): Timers & { intervals: number[]; wakeUps: number } {
  const base = mainThreadTimers();
  const counted = {
    kind: 'main' as const,
    intervals: [] as number[],
    wakeUps: 0,
    every(ms: number, fn: () => void) {
      counted.intervals.push(ms);
      return base.every(ms, () => {
        counted.wakeUps++;
        fn();
      });
    },
    after(ms: number, fn: () => void, background?: boolean) {
      return base.after(
        ms,
        () => {
          counted.wakeUps++;
          fn();
        },
        background,
      );
    },
    dispose: () => base.dispose(),
  };
  return counted;
}

/** A channel that records the type of every message a tab sends and receives. */
export function recordingTransport(): { openTransport: OpenTransport; sent: string[]; received: string[] } {
  const sent: string[] = [];
  const received: string[] = [];
  const typeOf = (m: unknown) => String((m as { type?: unknown } | null)?.type);
  return {
    sent,
    received,
    openTransport(name, handlers) {
      const t = openTransport(name, {
        onMessage: (data) => {
          received.push(typeOf(data));
          handlers.onMessage(data);
        },
        onMalformed: handlers.onMalformed,
      });
      return {
        post: (m) => {
          sent.push(typeOf(m));
          return t.post(m);
        },
        close: () => t.close(),
      };
    },
  };
}
