// The "This tab" card: tokenCache.stats(), twice a second, rebuilt only when something changed.

import type { TokenCache } from '../../src/index';
import { el, h } from './dom';

const list = el('tab-stats');

function render(cache: TokenCache): void {
  const entries = Object.entries(cache.stats()).map(([name, value]: [string, unknown]) => [
    name,
    typeof value === 'object' ? JSON.stringify(value) : String(value),
  ]);
  const signature = JSON.stringify(entries);
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  list.replaceChildren(
    ...entries.flatMap(([name = '', text = '']) => {
      const dd = h('dd', '', text);
      dd.dataset.stat = name;
      return [h('dt', '', name), dd];
    }),
  );
}

export function startTabStats(cache: TokenCache): void {
  render(cache);
  setInterval(() => render(cache), 500);
}
