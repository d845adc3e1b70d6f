// The documentation's links hold: in README.md, docs/*.md and bench/RESULTS.md every relative
// link names a file of the repository, and every #anchor a heading of its target (GitHub's slugs).
// External links are not fetched (CI has no network), only checked to be well-formed http(s).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The pages checked, relative to the repository's root. */
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => `docs/${file}`),
  'bench/RESULTS.md',
];

const README_MAX_LINES = 200;

function read(page: string): string {
  return readFileSync(join(root, page), 'utf8');
}

/** Each line of `markdown`, with fenced code blocks blanked (their `#` and brackets are code). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (opener === undefined) return line;
      fence = opener;
      return '';
    }
    if (opener !== undefined && opener[0] === fence[0] && opener.length >= fence.length) fence = undefined;
    return '';
  });
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped except '-' and '_', each space a '-'. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading anchors by its text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor the headings of `markdown` make; a repeated heading gets -1, -2, … as on GitHub. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const line of proseLines(markdown)) {
    const text = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (text === undefined) continue;
    const base = slug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

/** Every link target of `markdown`, inline (`[text](target)`, images too) or a reference definition. */
function links(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  proseLines(markdown).forEach((raw, index) => {
    const line = raw.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length)); // code spans
    for (const match of line.matchAll(/\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)) {
      found.push({ line: index + 1, target: match[1] ?? '' });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(line)?.[1];
    if (definition !== undefined) found.push({ line: index + 1, target: definition });
  });
  return found;
}

/** What is wrong with one link of `page` (a path from the root), or undefined. */
function problem(page: string, markdown: string, target: string): string | undefined {
  if (target === '') return 'an empty link';
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    if (!/^https?:\/\//i.test(target)) return 'not an http(s) link nor a relative path';
    try {
      const url = new URL(target);
      return url.hostname === '' ? 'no host' : undefined;
    } catch {
      return 'not a well-formed URL';
    }
  }
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = resolve(root, dirname(page), path === '' ? page.slice(page.lastIndexOf('/') + 1) : path);
  const inRepo = relative(root, file);
  if (inRepo.startsWith(`..${sep}`) || inRepo === '..') return 'points outside the repository';
  if (path !== '' && !existsSync(file)) return `no such file: ${inRepo}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) {
    return /^L\d+(-L\d+)?$/.test(anchor)
      ? undefined
      : `#${anchor}: only line anchors (#L12) outside markdown`;
  }
  const text = path === '' ? markdown : readFileSync(file, 'utf8');
  return anchors(text).has(anchor) ? undefined : `no heading makes #${anchor} in ${inRepo}`;
}

/** Every broken link of `page`, as "page:line target: why". */
function brokenLinks(page: string, markdown: string): string[] {
  return links(markdown).flatMap(({ line, target }) => {
    const why = problem(page, markdown, target);
    return why === undefined ? [] : [`${page}:${line} ${target}: ${why}`];
  });
}

describe('the documentation links', () => {
  it.each(pages)('%s: every link resolves, every #anchor is a heading of its target', (page) => {
    expect(brokenLinks(page, read(page))).toEqual([]);
  });

  it(`README.md stays a two-minute read: at most ${README_MAX_LINES} lines`, () => {
    const lines = read('README.md').replace(/\n$/, '').split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('README.md links every docs page and bench/RESULTS.md', () => {
    const targets = new Set(links(read('README.md')).map(({ target }) => target.split('#')[0]));
    const missing = [...pages.filter((page) => page !== 'README.md')].filter((page) => !targets.has(page));
    expect(missing).toEqual([]);
  });
});

describe('the link checker itself', () => {
  it('makes GitHub slugs', () => {
    expect(slug("How a token's life is counted")).toBe('how-a-tokens-life-is-counted');
    expect(slug("The page's lifecycle and the back/forward cache (R22)")).toBe(
      'the-pages-lifecycle-and-the-backforward-cache-r22',
    );
    expect(slug('The browsers `npm test` uses')).toBe('the-browsers-npm-test-uses');
    expect(slug('Rotating refresh tokens, and a tab that crashes mid-refresh')).toBe(
      'rotating-refresh-tokens-and-a-tab-that-crashes-mid-refresh',
    );
    expect(slug('snake_case and R1–R28')).toBe('snake_case-and-r1r28');
    expect([...anchors('# A\n## A\n```sh\n# not a heading\n```\n### B #\n')]).toEqual(['a', 'a-1', 'b']);
  });

  it('finds links in prose, not in code', () => {
    const markdown = 'see [a](a.md) and ![b](b.png "title")\n`[c](c.md)`\n```\n[d](d.md)\n```\n[e]: e.md\n';
    expect(links(markdown)).toEqual([
      { line: 1, target: 'a.md' },
      { line: 1, target: 'b.png' },
      { line: 6, target: 'e.md' },
    ]);
  });

  it('reports a missing file, a missing anchor and a malformed external link', () => {
    const markdown = [
      '# Here',
      '[ok](design.md#how-tabs-coordinate) [self](#here) [readme](../README.md#api) [web](https://example.com/x)',
      '[gone](no-such-page.md) [anchor](design.md#no-such-heading) [self](#nowhere)',
      '[bad](https://) [scheme](ftp://example.com/x) [out](../../elsewhere.md)',
    ].join('\n');
    expect(brokenLinks('docs/probe.md', markdown)).toEqual([
      'docs/probe.md:3 no-such-page.md: no such file: docs/no-such-page.md',
      'docs/probe.md:3 design.md#no-such-heading: no heading makes #no-such-heading in docs/design.md',
      'docs/probe.md:3 #nowhere: no heading makes #nowhere in docs/probe.md',
      'docs/probe.md:4 https://: not a well-formed URL',
      'docs/probe.md:4 ftp://example.com/x: not an http(s) link nor a relative path',
      'docs/probe.md:4 ../../elsewhere.md: points outside the repository',
    ]);
  });
});
