// What this tab's cache runs with (tokens.options, the library's resolved options: defaults
// filled in), shown in the top bar, and a small form that reloads the tab with other options in
// its URL (poll, leeway, cutoff, idle, exclusive), the way the tests set them.

import type { ResolvedOptions } from '../../src/index';
import { el, h } from './dom';

const meta = el('meta');
const form = el<HTMLFormElement>('cache-options');

const FIELDS = [
  { param: 'poll', option: 'pollIntervalMs', unit: 'ms' },
  { param: 'leeway', option: 'refreshLeewaySeconds', unit: 's' },
  { param: 'cutoff', option: 'hardCutoffSeconds', unit: 's' },
  { param: 'idle', option: 'idleTimeoutSeconds', unit: 's' },
] as const;

export function showOptions(key: string, options: ResolvedOptions): void {
  const parts: [string, string][] = [
    ['name', options.name],
    ['key', key],
    ...FIELDS.map(({ param, option, unit }): [string, string] => [param, `${options[option]} ${unit}`]),
    ['exclusive', options.exclusiveFetch ? 'on' : 'off'],
  ];
  meta.replaceChildren(
    ...parts.map(([label, value]) => {
      const span = h('span', 'meta-item');
      span.append(`${label} `, h('b', '', value));
      return span;
    }),
  );
  for (const { param, option } of FIELDS) {
    const input = form.elements.namedItem(param);
    if (input instanceof HTMLInputElement) input.value = String(options[option]);
  }
  const exclusive = form.elements.namedItem('exclusive');
  if (exclusive instanceof HTMLInputElement) exclusive.checked = options.exclusiveFetch;
}

/** The form reloads this tab with its values in the URL (other parameters kept). */
export function startOptionsForm(): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams(location.search);
    for (const { param } of FIELDS) {
      const input = form.elements.namedItem(param);
      if (input instanceof HTMLInputElement && input.value.trim() !== '')
        params.set(param, input.value.trim());
    }
    const exclusive = form.elements.namedItem('exclusive');
    if (exclusive instanceof HTMLInputElement) params.set('exclusive', exclusive.checked ? '1' : '0');
    location.search = params.toString();
  });
}
