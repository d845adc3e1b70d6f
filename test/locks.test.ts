import { describe, expect, it } from 'vitest';
import { acquire, type LockInfo, type LockOptions, type Locks } from '../src/platform/locks.js';
import { memoryLocks } from '../src/platform/memory-locks.js';

/** Lets every pending microtask and promise chain run. */
const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

type Outcome =
  | { state: 'pending' }
  | { state: 'fulfilled'; value: unknown }
  | { state: 'rejected'; reason: unknown };

/** Watches a promise so a test can read how it settled (and so a rejection is never unhandled). */
function watch(promise: Promise<unknown>): { readonly outcome: Outcome } {
  const w: { outcome: Outcome } = { outcome: { state: 'pending' } };
  promise.then(
    (value) => {
      w.outcome = { state: 'fulfilled', value };
    },
    (reason: unknown) => {
      w.outcome = { state: 'rejected', reason };
    },
  );
  return w;
}

/** A request whose lock is held until `release()`; `granted` is the lock its callback got (undefined: not called yet). */
function hold(locks: Locks, name: string, options: LockOptions = {}, value: unknown = 'done') {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const h: {
    granted: LockInfo | null | undefined;
    calls: number;
    release: () => void;
    request: { readonly outcome: Outcome };
  } = {
    granted: undefined,
    calls: 0,
    release: () => release(),
    request: { outcome: { state: 'pending' } },
  };
  h.request = watch(
    locks.request(name, options, async (lock) => {
      h.calls++;
      h.granted = lock;
      if (lock) await released;
      return value;
    }),
  );
  return h;
}

const nameOf = (error: unknown) => (error as { name?: string }).name;

describe('memoryLocks: exclusive and shared mode', () => {
  it('an exclusive lock excludes a second exclusive request until released', async () => {
    const locks = memoryLocks();
    const a = hold(locks, 'L');
    const b = hold(locks, 'L');
    await flush();
    expect(a.granted).toEqual({ name: 'L', mode: 'exclusive' });
    expect(b.granted).toBeUndefined();
    a.release();
    await flush();
    expect(a.request.outcome).toEqual({ state: 'fulfilled', value: 'done' });
    expect(b.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });

  it('locks of different names do not exclude each other', async () => {
    const locks = memoryLocks();
    const a = hold(locks, 'L1');
    const b = hold(locks, 'L2');
    await flush();
    expect(a.granted?.name).toBe('L1');
    expect(b.granted?.name).toBe('L2');
  });

  it('shared locks coexist and exclude an exclusive one until the last is released', async () => {
    const locks = memoryLocks();
    const s1 = hold(locks, 'L', { mode: 'shared' });
    const s2 = hold(locks, 'L', { mode: 'shared' });
    const x = hold(locks, 'L', { mode: 'exclusive' });
    await flush();
    expect([s1.granted, s2.granted]).toEqual([
      { name: 'L', mode: 'shared' },
      { name: 'L', mode: 'shared' },
    ]);
    expect(x.granted).toBeUndefined();
    s1.release();
    await flush();
    expect(x.granted).toBeUndefined();
    s2.release();
    await flush();
    expect(x.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });

  it('a shared request waits while an exclusive lock is held', async () => {
    const locks = memoryLocks();
    const x = hold(locks, 'L');
    const s = hold(locks, 'L', { mode: 'shared' });
    await flush();
    expect(s.granted).toBeUndefined();
    x.release();
    await flush();
    expect(s.granted).toEqual({ name: 'L', mode: 'shared' });
  });

  it('a shared request does not overtake a queued exclusive one', async () => {
    const locks = memoryLocks();
    const s1 = hold(locks, 'L', { mode: 'shared' });
    const x = hold(locks, 'L');
    const s2 = hold(locks, 'L', { mode: 'shared' });
    await flush();
    expect([s1.calls, x.calls, s2.calls]).toEqual([1, 0, 0]);
    s1.release();
    await flush();
    expect([x.calls, s2.calls]).toEqual([1, 0]);
    x.release();
    await flush();
    expect(s2.calls).toBe(1);
  });
});

describe('memoryLocks: queue, callback and result', () => {
  it('grants queued requests in request order, one release at a time', async () => {
    const locks = memoryLocks();
    const order: string[] = [];
    const holders = ['a', 'b', 'c', 'd'].map((id) => {
      let release: () => void = () => {};
      const released = new Promise<void>((r) => {
        release = r;
      });
      void locks.request('L', {}, () => {
        order.push(id);
        return released;
      });
      return release;
    });
    await flush();
    expect(order).toEqual(['a']);
    for (const [i, release] of holders.entries()) {
      release();
      await flush();
      expect(order).toEqual(['a', 'b', 'c', 'd'].slice(0, Math.min(i + 2, 4)));
    }
  });

  it('grants consecutive shared requests at the head of the queue together', async () => {
    const locks = memoryLocks();
    const x = hold(locks, 'L');
    const s1 = hold(locks, 'L', { mode: 'shared' });
    const s2 = hold(locks, 'L', { mode: 'shared' });
    const x2 = hold(locks, 'L');
    await flush();
    x.release();
    await flush();
    expect([s1.calls, s2.calls, x2.calls]).toEqual([1, 1, 0]);
  });

  it('never calls the callback synchronously inside request()', async () => {
    const locks = memoryLocks();
    let called = false;
    const done = locks.request('L', {}, () => {
      called = true;
    });
    expect(called).toBe(false);
    await done;
    expect(called).toBe(true);
  });

  it('never calls an ifAvailable callback synchronously either', async () => {
    const locks = memoryLocks();
    const x = hold(locks, 'L');
    await flush();
    let got: LockInfo | null | undefined;
    const done = locks.request('L', { ifAvailable: true }, (lock) => {
      got = lock;
    });
    expect(got).toBeUndefined();
    await done;
    expect(got).toBeNull();
    x.release();
  });

  it('resolves the request with what the callback returned', async () => {
    const locks = memoryLocks();
    await expect(locks.request('L', {}, () => 42)).resolves.toBe(42);
    await expect(locks.request('L', {}, async () => 'async')).resolves.toBe('async');
  });

  it('a callback that throws rejects the request with its error and lets the lock go', async () => {
    const locks = memoryLocks();
    const boom = new Error('boom');
    const failing = watch(
      locks.request('L', {}, () => {
        throw boom;
      }),
    );
    const next = hold(locks, 'L');
    await flush();
    expect(failing.outcome).toEqual({ state: 'rejected', reason: boom });
    expect(next.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });
});

describe('memoryLocks: ifAvailable', () => {
  it('calls back with null at once when the lock is held, without queueing', async () => {
    const locks = memoryLocks();
    const x = hold(locks, 'L');
    const probe = hold(locks, 'L', { ifAvailable: true }, 'not available');
    await flush();
    expect(probe.calls).toBe(1);
    expect(probe.granted).toBeNull();
    expect(probe.request.outcome).toEqual({ state: 'fulfilled', value: 'not available' });
    expect(await locks.query()).toEqual({ held: [{ name: 'L', mode: 'exclusive' }], pending: [] });
    x.release();
    await flush();
    expect(probe.calls).toBe(1);
  });

  it('calls back with null when only a shared lock is held and exclusive is asked', async () => {
    const locks = memoryLocks();
    hold(locks, 'L', { mode: 'shared' });
    const probe = hold(locks, 'L', { ifAvailable: true });
    await flush();
    expect(probe.granted).toBeNull();
  });

  it('grants a free lock as usual', async () => {
    const locks = memoryLocks();
    const probe = hold(locks, 'L', { ifAvailable: true });
    await flush();
    expect(probe.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });

  it('grants a shared ifAvailable request while another shared lock is held', async () => {
    const locks = memoryLocks();
    hold(locks, 'L', { mode: 'shared' });
    const probe = hold(locks, 'L', { mode: 'shared', ifAvailable: true });
    await flush();
    expect(probe.granted).toEqual({ name: 'L', mode: 'shared' });
  });
});

describe('memoryLocks: the option combinations browsers refuse', () => {
  it.each([
    ['steal with a signal', { steal: true, signal: new AbortController().signal }],
    ['ifAvailable with a signal', { ifAvailable: true, signal: new AbortController().signal }],
    ['steal with ifAvailable', { steal: true, ifAvailable: true }],
    ['steal in shared mode', { steal: true, mode: 'shared' }],
  ] as [string, LockOptions][])('%s: NotSupportedError, as Web Locks do', async (_, options) => {
    const locks = memoryLocks();
    const error = await locks.request('a', options, () => undefined).catch((e: unknown) => e);
    expect((error as Error).name).toBe('NotSupportedError');
    expect((await locks.query()).held).toEqual([]);
  });
});

describe('memoryLocks: steal', () => {
  it('grants at once and rejects the previous holder with AbortError', async () => {
    const locks = memoryLocks();
    const victim = hold(locks, 'L');
    await flush();
    const thief = hold(locks, 'L', { steal: true });
    await flush();
    expect(thief.granted).toEqual({ name: 'L', mode: 'exclusive' });
    expect(victim.request.outcome.state).toBe('rejected');
    expect(nameOf((victim.request.outcome as { reason: unknown }).reason)).toBe('AbortError');
    expect(await locks.query()).toEqual({ held: [{ name: 'L', mode: 'exclusive' }], pending: [] });
  });

  it('steals every shared holder', async () => {
    const locks = memoryLocks();
    const s1 = hold(locks, 'L', { mode: 'shared' });
    const s2 = hold(locks, 'L', { mode: 'shared' });
    await flush();
    hold(locks, 'L', { steal: true });
    await flush();
    expect([s1.request.outcome.state, s2.request.outcome.state]).toEqual(['rejected', 'rejected']);
    expect((await locks.query()).held).toEqual([{ name: 'L', mode: 'exclusive' }]);
  });

  it('a queued request waits for the thief, not for the robbed holder', async () => {
    const locks = memoryLocks();
    const victim = hold(locks, 'L');
    const queued = hold(locks, 'L');
    await flush();
    const thief = hold(locks, 'L', { steal: true });
    await flush();
    expect(queued.granted).toBeUndefined();
    victim.release(); // the robbed callback ends: nothing changes
    await flush();
    expect(queued.granted).toBeUndefined();
    thief.release();
    await flush();
    expect(queued.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });

  it('a steal of a free lock is a plain grant', async () => {
    const locks = memoryLocks();
    const thief = hold(locks, 'L', { steal: true });
    await flush();
    expect(thief.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });
});

describe('memoryLocks: signal', () => {
  it('aborting a queued request rejects it, never calls it, and the queue moves on', async () => {
    const locks = memoryLocks();
    const holder = hold(locks, 'L');
    const controller = new AbortController();
    const aborted = hold(locks, 'L', { signal: controller.signal });
    const next = hold(locks, 'L');
    await flush();
    controller.abort();
    await flush();
    expect(aborted.request.outcome.state).toBe('rejected');
    expect(nameOf((aborted.request.outcome as { reason: unknown }).reason)).toBe('AbortError');
    expect((await locks.query()).pending).toEqual([{ name: 'L', mode: 'exclusive' }]);
    holder.release();
    await flush();
    expect(aborted.calls).toBe(0);
    expect(next.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });

  it('aborting the head of the queue grants the compatible requests behind it', async () => {
    const locks = memoryLocks();
    hold(locks, 'L', { mode: 'shared' });
    const controller = new AbortController();
    const x = hold(locks, 'L', { signal: controller.signal });
    const s = hold(locks, 'L', { mode: 'shared' });
    await flush();
    expect(s.granted).toBeUndefined();
    controller.abort();
    await flush();
    expect(x.calls).toBe(0);
    expect(s.granted).toEqual({ name: 'L', mode: 'shared' });
  });

  it('rejects with the abort reason when one is given', async () => {
    const locks = memoryLocks();
    hold(locks, 'L');
    const controller = new AbortController();
    const reason = new Error('gave up');
    const req = hold(locks, 'L', { signal: controller.signal });
    controller.abort(reason);
    await flush();
    expect(req.request.outcome).toEqual({ state: 'rejected', reason });
  });

  it('an already aborted signal rejects at once without calling back', async () => {
    const locks = memoryLocks();
    const req = hold(locks, 'L', { signal: AbortSignal.abort() });
    await flush();
    expect(req.calls).toBe(0);
    expect(nameOf((req.request.outcome as { reason: unknown }).reason)).toBe('AbortError');
    expect(await locks.query()).toEqual({ held: [], pending: [] });
  });

  it('aborting after the grant changes nothing', async () => {
    const locks = memoryLocks();
    const controller = new AbortController();
    const req = hold(locks, 'L', { signal: controller.signal });
    await flush();
    controller.abort();
    await flush();
    expect(req.request.outcome.state).toBe('pending');
    expect((await locks.query()).held).toEqual([{ name: 'L', mode: 'exclusive' }]);
    req.release();
    await flush();
    expect(req.request.outcome).toEqual({ state: 'fulfilled', value: 'done' });
  });
});

describe('memoryLocks: query', () => {
  it('lists held and pending locks with their names and modes', async () => {
    const locks = memoryLocks();
    const x = hold(locks, 'a');
    hold(locks, 'a', { mode: 'shared' });
    hold(locks, 'a');
    hold(locks, 'b', { mode: 'shared' });
    hold(locks, 'b', { mode: 'shared' });
    await flush();
    expect(await locks.query()).toEqual({
      held: [
        { name: 'a', mode: 'exclusive' },
        { name: 'b', mode: 'shared' },
        { name: 'b', mode: 'shared' },
      ],
      pending: [
        { name: 'a', mode: 'shared' },
        { name: 'a', mode: 'exclusive' },
      ],
    });
    x.release();
    await flush();
    expect(await locks.query()).toEqual({
      held: [
        { name: 'a', mode: 'shared' },
        { name: 'b', mode: 'shared' },
        { name: 'b', mode: 'shared' },
      ],
      pending: [{ name: 'a', mode: 'exclusive' }],
    });
  });

  it('is empty once every lock is released', async () => {
    const locks = memoryLocks();
    const a = hold(locks, 'a');
    const b = hold(locks, 'b', { mode: 'shared' });
    await flush();
    a.release();
    b.release();
    await flush();
    expect(await locks.query()).toEqual({ held: [], pending: [] });
  });

  it('two managers share nothing', async () => {
    const one = memoryLocks();
    const two = memoryLocks();
    hold(one, 'L');
    const other = hold(two, 'L');
    await flush();
    expect(other.granted).toEqual({ name: 'L', mode: 'exclusive' });
  });
});

describe('acquire', () => {
  it('resolves once the lock is held; release() lets it go and lost resolves false', async () => {
    const locks = memoryLocks();
    const held = await acquire(locks, 'L');
    expect(held).not.toBeNull();
    expect((await locks.query()).held).toEqual([{ name: 'L', mode: 'exclusive' }]);
    const lost = watch(held!.lost);
    await flush();
    expect(lost.outcome).toEqual({ state: 'pending' });
    held!.release();
    await flush();
    expect(lost.outcome).toEqual({ state: 'fulfilled', value: false });
    expect(await locks.query()).toEqual({ held: [], pending: [] });
  });

  it('release() is idempotent: a second call does not release the next holder', async () => {
    const locks = memoryLocks();
    const first = await acquire(locks, 'L');
    const second = watch(acquire(locks, 'L'));
    await flush();
    expect(second.outcome.state).toBe('pending');
    first!.release();
    await flush();
    expect(second.outcome.state).toBe('fulfilled');
    first!.release();
    await flush();
    expect((await locks.query()).held).toEqual([{ name: 'L', mode: 'exclusive' }]);
    const third = watch(acquire(locks, 'L'));
    await flush();
    expect(third.outcome.state).toBe('pending');
    expect(await first!.lost).toBe(false);
  });

  it('passes the mode through', async () => {
    const locks = memoryLocks();
    const a = await acquire(locks, 'L', { mode: 'shared' });
    const b = await acquire(locks, 'L', { mode: 'shared' });
    expect(a && b).toBeTruthy();
    expect((await locks.query()).held).toEqual([
      { name: 'L', mode: 'shared' },
      { name: 'L', mode: 'shared' },
    ]);
  });

  it('resolves null with ifAvailable when the lock is taken', async () => {
    const locks = memoryLocks();
    await acquire(locks, 'L');
    await expect(acquire(locks, 'L', { ifAvailable: true })).resolves.toBeNull();
    expect((await locks.query()).pending).toEqual([]);
  });

  it('a steal resolves the previous holder’s lost with true', async () => {
    const locks = memoryLocks();
    const victim = await acquire(locks, 'L');
    const thief = await acquire(locks, 'L', { steal: true });
    expect(thief).not.toBeNull();
    await expect(victim!.lost).resolves.toBe(true);
    const thiefLost = watch(thief!.lost);
    await flush();
    expect(thiefLost.outcome.state).toBe('pending');
    victim!.release(); // releasing a stolen lock does nothing to the thief
    await flush();
    expect((await locks.query()).held).toEqual([{ name: 'L', mode: 'exclusive' }]);
    thief!.release();
    await expect(thief!.lost).resolves.toBe(false);
  });

  it('rejects with AbortError when the signal aborts before the grant', async () => {
    const locks = memoryLocks();
    await acquire(locks, 'L');
    const controller = new AbortController();
    const waiting = acquire(locks, 'L', { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(await locks.query()).toEqual({ held: [{ name: 'L', mode: 'exclusive' }], pending: [] });
  });

  it('rejects at once for an already aborted signal', async () => {
    const locks = memoryLocks();
    await expect(acquire(locks, 'L', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
