import fc from 'fast-check';
import { vi } from 'vitest';
import type { EndpointMode } from './endpoint.js';
import { checkInvariants, violationsOf } from './invariants.js';
import { type Fate, NAVIGATION_MS, pageFates } from './pages.js';
import type { CallKind, Tab, World } from './world.js';

// The steps of a schedule: what users, pages, browsers and the token endpoint do to a group.
// Each names its tab by index among the tabs opened so far; a step that makes no sense for the
// tab it names (closing a closed tab) does nothing. After each step, time passes as the step
// says and the invariants are checked.

/** fast-check's model: the simulation keeps its state in the world itself. */
export type Model = Record<string, never>;
type Step = fc.AsyncCommand<Model, World>;

const KEYS = ['a', 'b', 'c'] as const;

async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

abstract class WorldStep implements Step {
  check(): boolean {
    return true;
  }
  async run(_model: Model, world: World): Promise<void> {
    await this.act(world);
    await flush();
    checkInvariants(world);
    const found = violationsOf(world);
    if (found) throw new Error(`after ${this}:\n${found}`);
  }
  abstract act(world: World): Promise<void> | void;
  abstract toString(): string;
}

/** The tab `i` names if it is open and running, else undefined. */
function running(world: World, i: number): Tab | undefined {
  const tab = world.tabs[i % Math.max(1, world.tabs.length)];
  return tab && tab.state === 'open' && !tab.runtime.hung ? tab : undefined;
}

class Open extends WorldStep {
  act(world: World) {
    if (world.tabs.filter((t) => (t.state === 'open' && !t.cacheClosed) || t.state === 'away').length < 5)
      world.open();
  }
  toString() {
    return 'open a tab';
  }
}

/** A page arrives with a token its server rendered into it (R31), minted `ageMs` before. */
class OpenSeeded extends WorldStep {
  constructor(
    readonly key: string,
    readonly ageMs: number,
  ) {
    super();
  }
  act(world: World) {
    if (world.tabs.filter((t) => (t.state === 'open' && !t.cacheClosed) || t.state === 'away').length < 5)
      world.open({ key: this.key, ageMs: this.ageMs });
  }
  toString() {
    return `open a tab seeded with '${this.key}' minted ${this.ageMs} ms ago`;
  }
}

/** The app hands a running tab a token its server minted (a server action, R31). */
class Seed extends WorldStep {
  constructor(
    readonly i: number,
    readonly key: string,
    readonly ageMs: number,
  ) {
    super();
  }
  act(world: World) {
    const tab = running(world, this.i);
    if (tab) world.seed(tab, this.key, this.ageMs);
  }
  toString() {
    return `tab ${this.i}: seed('${this.key}') minted ${this.ageMs} ms ago`;
  }
}

class Wait extends WorldStep {
  constructor(readonly ms: number) {
    super();
  }
  async act(world: World) {
    for (let t = 0; t < this.ms; t += 1_000) {
      await vi.advanceTimersByTimeAsync(Math.min(1_000, this.ms - t));
      checkInvariants(world);
    }
  }
  toString() {
    return `wait ${this.ms} ms`;
  }
}

/** An app that reads a key four times a second for a while (a polling component), in one tab. */
class Reads extends WorldStep {
  constructor(
    readonly i: number,
    readonly key: string,
    readonly seconds: number,
  ) {
    super();
  }
  act(world: World) {
    const tab = running(world, this.i);
    if (!tab) return;
    for (let n = 1; n <= this.seconds * 4; n++) {
      setTimeout(() => {
        if (tab.state === 'open' && !tab.runtime.hung) world.call(tab, 'get', this.key);
      }, n * 250);
    }
  }
  toString() {
    return `tab ${this.i}: reads '${this.key}' for ${this.seconds} s`;
  }
}

class Call extends WorldStep {
  constructor(
    readonly i: number,
    readonly kind: CallKind | 'peek',
    readonly key: string,
  ) {
    super();
  }
  act(world: World) {
    const tab = running(world, this.i);
    if (!tab) return;
    if (this.kind === 'peek') world.peek(tab, this.key);
    else world.call(tab, this.kind, this.key);
  }
  toString() {
    return `tab ${this.i}: ${this.kind}('${this.key}')`;
  }
}

class Clear extends WorldStep {
  constructor(readonly i: number) {
    super();
  }
  act(world: World) {
    const tab = running(world, this.i);
    if (tab) world.clear(tab);
  }
  toString() {
    return `tab ${this.i}: clear()`;
  }
}

/** What happens to a page: closed, crashed, hung for a while, sent to the back/forward cache. */
class Page extends WorldStep {
  constructor(
    readonly i: number,
    readonly fate: Fate,
    readonly ms: number,
  ) {
    super();
  }
  act(world: World) {
    const tab = running(world, this.i);
    if (!tab) return;
    world.disruptions.push(world.now);
    pageFates[this.fate](world, tab, this.ms);
    if (this.fate === 'hang' || this.fate === 'away')
      setTimeout(
        () => world.disruptions.push(world.now),
        this.ms + (this.fate === 'away' ? NAVIGATION_MS : 0),
      );
  }
  toString() {
    return `tab ${this.i}: ${this.fate}${this.fate === 'hang' || this.fate === 'away' ? ` ${this.ms} ms` : ''}`;
  }
}

class Mode extends WorldStep {
  constructor(readonly mode: EndpointMode) {
    super();
  }
  act(world: World) {
    world.endpoint.mode = this.mode;
  }
  toString() {
    return `endpoint: ${this.mode}`;
  }
}

/** Another user signs in (in another tab, or on the server): tokens issued from now on are theirs (R30). */
class SwitchUser extends WorldStep {
  act(world: World) {
    world.endpoint.user = world.endpoint.user === 'user_1' ? 'user_2' : 'user_1';
  }
  toString() {
    return 'another user signs in';
  }
}

type Mischief = 'force-flood' | 'epoch-max' | 'fail-cleared' | 'fail-long' | 'fail-short' | 'replay';

/**
 * Another script on the origin (another version of the app, a buggy or hostile one) posts on the
 * group's channel (R14, R28): nothing it says may break an invariant.
 */
class Peer extends WorldStep {
  constructor(
    readonly mischief: Mischief,
    readonly key: string,
  ) {
    super();
  }
  act(world: World) {
    world.disruptions.push(world.now);
    const head = { p: 'tab-token-cache', v: 2, name: 'sim', from: 'mallory', epoch: world.lastEpoch };
    const failed = (code: string, message: string) => ({
      ...head,
      type: 'ask-failed',
      key: this.key,
      code,
      message,
    });
    switch (this.mischief) {
      case 'force-flood':
        world.peerAsks.push({ key: this.key, seq: world.nextSeq(), at: world.now }); // a question like any tab's
        for (let i = 0; i < 5; i++)
          world.bus.inject({ ...head, type: 'ask', id: `m${i}`, key: this.key, reason: 'force' });
        return;
      case 'epoch-max':
        world.bus.inject({ ...head, epoch: Number.MAX_SAFE_INTEGER, type: 'snapshot-request' });
        return;
      case 'fail-cleared':
        world.bus.inject(failed('cleared', 'signed out'));
        return;
      case 'fail-long':
        world.bus.inject(failed('fetch_failed', 'x'.repeat(10_000)));
        return;
      case 'fail-short':
        world.bus.inject(failed('fetch_failed', 'it failed'));
        return;
      case 'replay':
        if (world.lastToken) world.bus.inject(world.lastToken);
        return;
    }
  }
  toString() {
    return `peer: ${this.mischief}('${this.key}')`;
  }
}

/** SIM_WITHOUT=close-cache,force-flood (say) leaves those steps out: to find what else breaks. */
const without = new Set(process.env.SIM_WITHOUT?.split(',') ?? []);
const some = <T extends string>(...names: T[]) => fc.constantFrom(...names.filter((n) => !without.has(n)));

const tab = fc.nat(6);
const key = fc.constantFrom(...KEYS);

/** Every step a schedule is drawn from, weighted towards calls and waiting. */
export const steps: fc.Arbitrary<Step>[] = [
  fc.constant(new Open()),
  fc.constant(new Open()),
  fc.tuple(key, fc.integer({ min: 0, max: 25_000 })).map(([k, ms]) => new OpenSeeded(k, ms)),
  fc.tuple(tab, key, fc.integer({ min: 0, max: 25_000 })).map(([i, k, ms]) => new Seed(i, k, ms)),
  fc.integer({ min: 1, max: 4_000 }).map((ms) => new Wait(ms)),
  fc.integer({ min: 1, max: 300 }).map((ms) => new Wait(ms)),
  fc.integer({ min: 10_000, max: 25_000 }).map((ms) => new Wait(ms)), // token lives and idle timeouts pass
  fc.tuple(tab, key, fc.integer({ min: 2, max: 20 })).map(([i, k, sec]) => new Reads(i, k, sec)),
  fc
    .tuple(tab, fc.constantFrom<CallKind | 'peek'>('get', 'get', 'get', 'peek', 'force', 'fetch'), key)
    .map(([i, kind, k]) => new Call(i, kind, k)),
  fc
    .tuple(tab, fc.constantFrom<CallKind | 'peek'>('get', 'peek'), key)
    .map(([i, kind, k]) => new Call(i, kind, k)),
  tab.map((i) => new Clear(i)),
  fc
    .tuple(
      tab,
      some<Fate>('close', 'crash', 'close-cache', 'hang', 'hang', 'away', 'away', 'revalidate', 'cancel'),
      fc.integer({ min: 100, max: 12_000 }),
    )
    .map(([i, fate, ms]) => new Page(i, fate, ms)),
  fc.constant(new SwitchUser()),
  fc
    .constantFrom<EndpointMode>('ok', 'ok', 'fail', 'slow', 'skew-once', 'revoked', 'revoked')
    .map((m) => new Mode(m)),
  fc
    .tuple(
      some<Mischief>('force-flood', 'epoch-max', 'fail-cleared', 'fail-long', 'fail-short', 'replay'),
      fc.constantFrom(...KEYS),
    )
    .map(([m, k]) => new Peer(m, k)),
];

/** The end of every schedule: everything thaws and returns, the endpoint heals, time passes. */
export async function settle(world: World): Promise<void> {
  world.endpoint.mode = 'ok';
  await vi.advanceTimersByTimeAsync(13_000); // every hang and away period has ended
  for (let i = 0; i < 20; i++) {
    await vi.advanceTimersByTimeAsync(500);
    checkInvariants(world);
  }
  const pending = world.calls.filter((c) => c.settledAt === undefined && c.tab.state === 'open');
  for (const c of pending)
    world.violations.push(`I3 ${c.tab.id} ${c.kind}('${c.key}') #${c.id} never settled`);
  const found = violationsOf(world);
  if (found) throw new Error(`at the end:\n${found}`);
}
