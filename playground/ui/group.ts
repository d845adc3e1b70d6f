// Who is in the group: every open tab of this cache name, as the page (not the library) sees it.
//
// Each dashboard tab holds a Web Lock of its own, `playground-group:<name>:tab:<id>`, for as long
// as it is open: the browser releases it when the tab closes, navigates away or crashes, so the
// list of held locks (navigator.locks.query(), read every second) is the list of live tabs, with
// no heartbeat to miss. What each tab shows (role, jti, fetches, last news) travels over a
// BroadcastChannel of the page's own, `playground-group:<name>` (the library's channel is the
// library's): a tab says `hello` when it opens, every tab answers with its `state`, and sends its
// state again whenever it changes. A tab entering the back/forward cache says `bye`, lets go of
// its lock and closes its channel; back, it opens it and says hello again.

export type Role = 'leader' | 'follower';

export interface TabState {
  id: string;
  /** When the tab opened (epoch ms), for the timeline's count of tabs. */
  openedAt: number;
  role: Role;
  jti: string | null;
  /** Its cache's stats().fetches. */
  fetches: number;
  /** When it last heard news: a token or a sign-out (epoch ms), or null. */
  newsAt: number | null;
  signedIn: boolean;
  /** Why its cache last became leader or follower (the library's `leader` event, R30). */
  leaderReason?: string;
}

/** A tab's stay in the group, as far as this tab knows (closedAt null: still open). */
export interface Stay {
  openedAt: number;
  closedAt: number | null;
}

type Message =
  | { type: 'hello' | 'state'; tab: TabState }
  | { type: 'bye'; id: string }
  | { type: 'close'; id: string };

export interface Group {
  readonly self: TabState;
  /** The live tabs, oldest first. */
  tabs(): TabState[];
  /** Every stay this tab has known of, for the timeline. */
  stays(): Stay[];
  /** Changes this tab's own row; the others hear of it if anything changed. */
  update(change: Partial<Omit<TabState, 'id' | 'openedAt'>>): void;
  /** Asks the tab `id` to close itself (see actions.ts). */
  askToClose(id: string): void;
  /** Called after every change of the list or of a row. */
  onChange(listener: () => void): void;
  /** Another tab asked this one to close. */
  onCloseAsked(listener: () => void): void;
}

const LIST_EVERY_MS = 1000;

function isTabState(value: unknown): value is TabState {
  if (typeof value !== 'object' || value === null) return false;
  const tab = value as Record<string, unknown>;
  return (
    typeof tab.id === 'string' &&
    typeof tab.openedAt === 'number' &&
    (tab.role === 'leader' || tab.role === 'follower') &&
    (tab.jti === null || typeof tab.jti === 'string') &&
    typeof tab.fetches === 'number' &&
    (tab.newsAt === null || typeof tab.newsAt === 'number') &&
    typeof tab.signedIn === 'boolean'
  );
}

function parse(data: unknown): Message | null {
  if (typeof data !== 'object' || data === null) return null;
  const message = data as Record<string, unknown>;
  if ((message.type === 'hello' || message.type === 'state') && isTabState(message.tab)) {
    return { type: message.type, tab: message.tab };
  }
  if ((message.type === 'bye' || message.type === 'close') && typeof message.id === 'string') {
    return { type: message.type, id: message.id };
  }
  return null;
}

export function joinGroup(name: string, self: Omit<TabState, 'id' | 'openedAt'>): Group {
  const me: TabState = { id: crypto.randomUUID().slice(0, 8), openedAt: Date.now(), ...self };
  const prefix = `playground-group:${name}:tab:`;
  // Closed while the page is in the back/forward cache (a message to a cached page evicts it).
  let channel: BroadcastChannel | null = null;
  const known = new Map<string, TabState>([[me.id, me]]);
  /** Every stay known of, and the open stay of each tab in the group. */
  const stays: Stay[] = [];
  const staying = new Map<string, Stay>();
  const arrive = (id: string, openedAt: number) => {
    if (staying.has(id)) return;
    const stay = { openedAt, closedAt: null };
    stays.push(stay);
    staying.set(id, stay);
  };
  arrive(me.id, me.openedAt);
  /** When each tab was first heard of, and the tabs whose lock has been seen held. */
  const heardAt = new Map<string, number>();
  const seenHeld = new Set<string>();
  /** Ids whose lock is held, from the last query; null until the first one answers. */
  let live: Set<string> | null = null;
  const listeners: (() => void)[] = [];
  const closeListeners: (() => void)[] = [];
  const changed = () => {
    for (const listener of listeners) listener();
  };
  const post = (message: Message) => channel?.postMessage(message);

  const leave = (id: string) => {
    if (id === me.id) return;
    known.delete(id);
    heardAt.delete(id);
    seenHeld.delete(id);
    const stay = staying.get(id);
    if (stay) stay.closedAt = Date.now();
    staying.delete(id);
  };

  const receive = (event: MessageEvent) => {
    const message = parse(event.data);
    if (!message) return;
    if (message.type === 'bye') leave(message.id);
    else if (message.type === 'close') {
      if (message.id === me.id) for (const listener of closeListeners) listener();
      return;
    } else {
      known.set(message.tab.id, message.tab);
      if (!heardAt.has(message.tab.id)) heardAt.set(message.tab.id, Date.now());
      arrive(message.tab.id, message.type === 'hello' ? Date.now() : message.tab.openedAt);
      if (message.type === 'hello') post({ type: 'state', tab: me });
    }
    changed();
  };

  // The tab's lock, held until it leaves (or the browser lets go of it for a dead tab). Chromium
  // sometimes rejects the request of a tab that a script has just opened ("The provided callback
  // is no longer runnable", seen in 1 of 6 popups): the next listing asks again.
  let release: (() => void) | null = null;
  let holding = false;
  const hold = () => {
    if (holding || !navigator.locks) return;
    holding = true;
    navigator.locks
      .request(`${prefix}${me.id}`, () => new Promise<void>((resolve) => (release = resolve)))
      .catch(() => {
        holding = false;
      });
  };
  let away = false;
  let lastAsked = 0;
  const list = async () => {
    if (!navigator.locks) return; // no Web Locks: tabs leave the list only by saying bye
    if (!away) hold();
    const asked = Date.now();
    const { held = [] } = await navigator.locks.query();
    const ids = new Set(
      held.flatMap((lock) => (lock.name?.startsWith(prefix) ? [lock.name.slice(prefix.length)] : [])),
    );
    let different = live === null || ids.size !== live.size || [...ids].some((id) => !live?.has(id));
    for (const id of ids) seenHeld.add(id);
    for (const id of known.keys()) {
      // Gone: its lock was held and is not any more, or it never took one (a tab that said hello
      // and crashed at once).
      const lockless = asked - (heardAt.get(id) ?? 0) > 2 * LIST_EVERY_MS;
      if (id !== me.id && !ids.has(id) && (seenHeld.has(id) || lockless)) {
        leave(id);
        different = true;
      }
    }
    live = ids;
    // A live tab this one knows nothing of (a message missed): ask every tab to say who it is.
    if ([...ids].some((id) => !known.has(id)) && asked - lastAsked > 2 * LIST_EVERY_MS) {
      lastAsked = asked;
      post({ type: 'hello', tab: me });
    }
    if (different) changed();
  };

  hold();
  const open = () => {
    channel = new BroadcastChannel(`playground-group:${name}`);
    channel.onmessage = receive;
  };
  open();
  post({ type: 'hello', tab: me });
  setInterval(() => void list().catch(() => {}), LIST_EVERY_MS);
  window.addEventListener('pagehide', (event) => {
    post({ type: 'bye', id: me.id });
    if (event.persisted) {
      away = true;
      release?.();
      release = null;
      holding = false;
      channel?.close();
      channel = null;
    }
  });
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    away = false;
    open();
    hold();
    post({ type: 'hello', tab: me });
  });

  return {
    self: me,
    tabs: () =>
      [...known.values()]
        .filter((tab) => tab.id === me.id || live === null || live.has(tab.id))
        .sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id)),
    stays: () => stays.map((stay) => ({ ...stay })),
    update(change) {
      const next = { ...me, ...change };
      const keys = Object.keys(change) as (keyof typeof change)[];
      if (keys.every((field) => next[field] === me[field])) return;
      Object.assign(me, change);
      post({ type: 'state', tab: me });
      changed();
    },
    askToClose: (id) => post({ type: 'close', id }),
    onChange: (listener) => listeners.push(listener),
    onCloseAsked: (listener) => closeListeners.push(listener),
  };
}
