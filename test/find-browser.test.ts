import { describe, expect, it } from 'vitest';
import {
  type BrowserSearch,
  DEBIAN_CHROMIUM,
  DEBIAN_FIREFOX,
  findChromium,
  findFirefox,
} from '../e2e/browser.js';

/** A machine with the given files, where installs succeed only as `installs` says. */
function machine(files: string[], over: Partial<BrowserSearch> = {}, installs: Record<string, string> = {}) {
  const present = new Set(files);
  const ran: string[] = [];
  const search: BrowserSearch = {
    env: {},
    exists: (path) => present.has(path),
    playwrightPath: () => '/pw/chrome',
    run: (command, args) => {
      const line = [command, ...args].join(' ');
      ran.push(line);
      const made = installs[line];
      if (made) present.add(made);
      return made !== undefined || line === 'apt-get update -qq';
    },
    isRoot: false,
    log: () => {},
    ...over,
  };
  return { search, ran };
}

describe('npm test finds or gets a Chromium (e2e/browser.ts)', () => {
  it("takes $CHROMIUM_PATH first, then Debian's Chromium, then Playwright's own", () => {
    expect(
      findChromium(machine(['/opt/c', DEBIAN_CHROMIUM], { env: { CHROMIUM_PATH: '/opt/c' } }).search),
    ).toBe('/opt/c');
    expect(findChromium(machine([DEBIAN_CHROMIUM], { env: { CHROMIUM_PATH: '/nope' } }).search)).toBe(
      DEBIAN_CHROMIUM,
    );
    expect(findChromium(machine(['/pw/chrome']).search)).toBeUndefined();
  });

  it("installs Playwright's Chromium when none is there", () => {
    const { search, ran } = machine([], {}, { 'npx playwright install chromium': '/pw/chrome' });
    expect(findChromium(search)).toBeUndefined();
    expect(ran).toEqual(['npx playwright install chromium']);
  });

  it("as root, falls back to Debian's chromium package when Playwright's download fails", () => {
    const { search, ran } = machine(
      [],
      { isRoot: true },
      { 'apt-get install -y -qq chromium': DEBIAN_CHROMIUM },
    );
    expect(findChromium(search)).toBe(DEBIAN_CHROMIUM);
    expect(ran).toEqual([
      'npx playwright install chromium',
      'apt-get update -qq',
      'apt-get install -y -qq chromium',
    ]);
  });

  it('with a CHROMIUM_PATH that does not exist and installing forbidden, stops with one message that says what to run', () => {
    const { search, ran } = machine([], { env: { CHROMIUM_PATH: '/nope/chrome', E2E_BROWSER_INSTALL: '0' } });
    expect(() => findChromium(search)).toThrow(
      /No Chromium for the end-to-end tests\. Tried: \$CHROMIUM_PATH=\/nope\/chrome \(no such file\); .*apt-get install chromium.*npx playwright install chromium.*CHROMIUM_PATH/,
    );
    expect(ran).toEqual([]);
  });

  it('not root and every install failing: the message names what was tried', () => {
    const { search } = machine([]);
    expect(() => findChromium(search)).toThrow(
      /`npx playwright install chromium` \(failed\); apt-get \(needs root\)/,
    );
  });
});

describe('npm test finds or gets a Firefox for its second lane (e2e/browser.ts)', () => {
  it("takes $FIREFOX_PATH first, then Debian's firefox-esr, then /usr/bin/firefox", () => {
    expect(
      findFirefox(machine(['/opt/ff', DEBIAN_FIREFOX], { env: { FIREFOX_PATH: '/opt/ff' } }).search),
    ).toBe('/opt/ff');
    expect(findFirefox(machine([DEBIAN_FIREFOX], { env: { FIREFOX_PATH: '/nope' } }).search)).toBe(
      DEBIAN_FIREFOX,
    );
    expect(findFirefox(machine(['/usr/bin/firefox']).search)).toBe('/usr/bin/firefox');
  });

  it("as root, installs Debian's firefox-esr when none is there", () => {
    const { search, ran } = machine(
      [],
      { isRoot: true },
      { 'apt-get install -y -qq firefox-esr': DEBIAN_FIREFOX },
    );
    expect(findFirefox(search)).toBe(DEBIAN_FIREFOX);
    expect(ran).toEqual(['apt-get update -qq', 'apt-get install -y -qq firefox-esr']);
  });

  it('not root, or installing forbidden: stops with one message that says what to run and how to leave the lane out', () => {
    const { search, ran } = machine([]);
    expect(() => findFirefox(search)).toThrow(
      /No Firefox for .*Tried: \/usr\/bin\/firefox-esr \(not installed\); \/usr\/bin\/firefox \(not installed\); apt-get \(needs root\).*apt-get install firefox-esr.*FIREFOX_PATH.*E2E_FIREFOX=0/,
    );
    const forbidden = machine([], { isRoot: true, env: { E2E_BROWSER_INSTALL: '0' } });
    expect(() => findFirefox(forbidden.search)).toThrow(/installing \(E2E_BROWSER_INSTALL=0\)/);
    expect([...ran, ...forbidden.ran]).toEqual([]);
  });
});
