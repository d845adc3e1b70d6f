import { vi } from 'vitest';
import { checkInvariants, violationsOf } from './invariants.js';
import { type Tab, World } from './world.js';

// Scripted scenarios on the simulated browser (test/hardening/): the world of the random
// schedules, driven step by step, with the same invariants checked at every step.

/** A fresh fake clock (both Date and performance), so that every run starts at the same instant. */
export function freshClock(): void {
  vi.useRealTimers();
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
    now: new Date('2026-01-01T00:00:00Z'),
  });
}

/** `tabs` tabs of one group, settled (the first leads). */
export async function openWorld(tabs: number, exclusive = false): Promise<World> {
  freshClock();
  const world = new World(exclusive);
  for (let i = 0; i < tabs; i++) world.open();
  await vi.advanceTimersByTimeAsync(50);
  return world;
}

/** The `i`-th tab opened in `world`. */
export const tab = (world: World, i: number): Tab => world.tabs[i] as Tab;

/** Lets `ms` pass in steps of `step`, checking every invariant after each; throws on the first violation. */
export async function pass(world: World, ms: number, step = 10): Promise<void> {
  for (let t = 0; t === 0 || t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
    checkInvariants(world);
    const found = violationsOf(world);
    if (found) throw new Error(found);
  }
}

/** The codes and tokens calls settled with, by call id. */
export function outcomes(world: World): (string | undefined)[] {
  return world.calls.map((c) => (c.settledAt === undefined ? 'pending' : (c.error ?? 'token')));
}
