import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTimers } from '../src/platform/timers.js';

/** A stand-in for a dedicated Worker running the timer script: it ticks on the fake clock. */
class FakeWorker {
  static last: FakeWorker | undefined;
  static failOnCreate = false;
  onmessage: ((e: { data: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  terminated = false;
  readonly intervals = new Map<number, ReturnType<typeof setInterval>>();
  constructor(readonly url: string) {
    if (FakeWorker.failOnCreate) throw new Error('CSP: worker-src does not allow blob:');
    FakeWorker.last = this;
  }
  postMessage(d: { op: 'start' | 'stop'; id: number; ms: number }): void {
    if (d.op === 'start')
      this.intervals.set(
        d.id,
        setInterval(() => this.onmessage?.({ data: d.id }), d.ms),
      );
    else clearInterval(this.intervals.get(d.id));
  }
  terminate(): void {
    this.terminated = true;
    for (const t of this.intervals.values()) clearInterval(t);
  }
}

function stubBrowser(): void {
  vi.stubGlobal('Worker', FakeWorker);
  vi.stubGlobal(
    'URL',
    Object.assign(class extends URL {}, { createObjectURL: () => 'blob:x', revokeObjectURL: () => {} }),
  );
}

describe('R16: timers the background-tab throttle does not reach', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
    FakeWorker.last = undefined;
    FakeWorker.failOnCreate = false;
  });

  it('tick inside an inline Worker made from a Blob URL where Workers exist', () => {
    vi.useFakeTimers();
    stubBrowser();
    const timers = createTimers();
    expect(FakeWorker.last).toBeUndefined(); // a tab that never polls never starts a Worker
    const fn = vi.fn();
    const stop = timers.every(500, fn);
    expect(timers.kind).toBe('worker');
    expect(FakeWorker.last?.url).toBe('blob:x');
    vi.advanceTimersByTime(1_600);
    expect(fn).toHaveBeenCalledTimes(3);
    stop();
    vi.advanceTimersByTime(1_000);
    expect(fn).toHaveBeenCalledTimes(3);
    timers.dispose();
    expect(FakeWorker.last?.terminated).toBe(true);
  });

  it('fall back to ordinary timers when a CSP forbids blob workers at creation', () => {
    vi.useFakeTimers();
    stubBrowser();
    FakeWorker.failOnCreate = true;
    const timers = createTimers();
    const fn = vi.fn();
    timers.every(500, fn);
    expect(timers.kind).toBe('main');
    vi.advanceTimersByTime(1_000);
    expect(fn).toHaveBeenCalledTimes(2);
    timers.dispose();
  });

  it('move running intervals to ordinary timers when the worker reports an error later', () => {
    vi.useFakeTimers();
    stubBrowser();
    const timers = createTimers();
    const fn = vi.fn();
    timers.every(500, fn);
    FakeWorker.last?.onerror?.();
    expect(timers.kind).toBe('main');
    expect(FakeWorker.last?.terminated).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(fn).toHaveBeenCalledTimes(2);
    timers.dispose();
    vi.advanceTimersByTime(1_000);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('use ordinary timers where there is no Worker (Node, SSR)', () => {
    const timers = createTimers();
    timers.every(500, () => {});
    expect(timers.kind).toBe('main');
    timers.dispose();
  });
});
