// The event log: the last 50 things this tab saw, newest first.

import { clock, el, h } from './dom';

export type LogKind = 'token' | 'leader' | 'error' | 'clear' | 'page' | 'server' | 'group' | 'identity';

const LOG_LIMIT = 50;
const list = el('event-log');

export function log(kind: LogKind, text: string): void {
  const item = h('li', `log-item log-${kind}`);
  item.dataset.kind = kind;
  item.append(h('time', '', clock(Date.now())), h('span', 'log-kind', kind), h('span', 'log-text', text));
  list.prepend(item);
  while (list.children.length > LOG_LIMIT) list.lastElementChild?.remove();
}
