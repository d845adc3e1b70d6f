// The "Group" card: one row per open tab of the group (group.ts), the leader marked. Rows carry
// data-testid="group-tab", data-role and data-jti for the tests. Rows are kept and their cells
// updated in place (ten tabs redrawing ten rows every second is work a leader cannot spare: it
// must answer its followers within half a poll, R12); the list is rebuilt only when a tab comes
// or goes.

import { el, h, setText } from './dom';
import type { Group, TabState } from './group';

const list = el('group-tabs');
const count = el('group-count');

function ago(at: number | null, now: number): string {
  if (at === null) return 'nothing yet';
  const seconds = Math.max(0, (now - at) / 1000);
  return seconds < 60 ? `${Math.floor(seconds)} s ago` : `${Math.floor(seconds / 60)} min ago`;
}

function newRow(self: boolean): HTMLLIElement {
  const item = h('li', 'group-tab');
  item.dataset.testid = 'group-tab';
  item.classList.toggle('is-self', self);
  item.append(
    h('span', 'group-role'),
    h('span', 'group-id'),
    h('code', 'group-jti'),
    h('span', 'group-fetches'),
    h('span', 'group-news'),
  );
  return item;
}

function fill(item: HTMLLIElement, tab: TabState, self: boolean, now: number): void {
  const [role, name, jti, fetches, news] = Array.from(item.children);
  if (item.dataset.role !== tab.role) item.dataset.role = tab.role;
  if (item.dataset.jti !== (tab.jti ?? '')) item.dataset.jti = tab.jti ?? '';
  item.dataset.tabId = tab.id;
  item.classList.toggle('is-signed-out', !tab.signedIn);
  if (role) {
    role.className = `group-role role-${tab.role}`;
    setText(role, tab.role === 'leader' ? '★ leader' : 'follower');
  }
  if (name) setText(name, self ? `${tab.id} (this tab)` : tab.id);
  if (jti) {
    setText(jti, tab.jti ? `${tab.jti.slice(0, 8)}…` : tab.signedIn ? '—' : 'signed out');
    (jti as HTMLElement).title = tab.jti ?? '';
  }
  if (fetches) setText(fetches, String(tab.fetches));
  if (news) setText(news, ago(tab.newsAt, now));
}

export function startGroupPanel(group: Group): void {
  const rows = new Map<string, HTMLLIElement>();
  const render = () => {
    const now = Date.now();
    const tabs = group.tabs();
    const leaders = tabs.filter((tab) => tab.role === 'leader').length;
    const jtis = new Set(tabs.flatMap((tab) => (tab.jti ? [tab.jti] : []))).size;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    setText(count, `${plural(tabs.length, 'tab')} · ${plural(leaders, 'leader')} · ${plural(jtis, 'token')}`);
    const ids = tabs.map((tab) => tab.id);
    for (const [id, item] of rows) {
      if (!ids.includes(id)) {
        item.remove();
        rows.delete(id);
      }
    }
    for (const tab of tabs) {
      const self = tab.id === group.self.id;
      let item = rows.get(tab.id);
      if (!item) {
        item = newRow(self);
        rows.set(tab.id, item);
      }
      fill(item, tab, self, now);
    }
    const order = tabs.map((tab) => rows.get(tab.id)).filter((item): item is HTMLLIElement => !!item);
    if (order.some((item, i) => list.children[i] !== item)) list.replaceChildren(...order);
  };
  // A change (a tab joins, leaves, takes the lead) reaches every tab at once: redraw a little
  // later, once, so that the tabs' own work (a new leader answering, R12) goes first.
  let pending = false;
  group.onChange(() => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      render();
    }, 150);
  });
  render();
  setInterval(render, 1000);
}
