import fc from 'fast-check';
import { afterEach, expect, test, vi } from 'vitest';
import { type Model, settle, steps } from './commands.js';
import { freshClock } from './scenario.js';
import { World } from './world.js';

// The model-based simulation of a group (SPEC §4, issue 16): 2 to 5 tabs of one name on the
// in-realm lock manager and an in-process channel, every timer on one fake clock, driven through
// random schedules of tabs opening, closing, crashing, hanging and leaving for the back/forward
// cache, calls, sign-outs and endpoint faults. The invariants (test/simulation/invariants.ts,
// and event-checks.ts) are checked after every step, and as each token or request happens.
//
// A failure prints the shrunk schedule and the command that replays it:
//   SIM_SEED=<seed> SIM_PATH=<path> SIM_REPLAY=<commands> SIM_RUNS=<runs> npx vitest run test/simulation
// SIM_RUNS sets the number of schedules (CI: the default, from one fixed seed; SIM_SEED=random
// for new ones); SIM_TRACE=1 prints every request,
// message, token and leadership change; SIM_ONLY=I3,I4 looks at those invariants alone,
// SIM_WITHOUT=close-cache leaves those steps out.

/**
 * One seed by default, so that CI reruns the same 1,000 schedules (a red CI is a finding, replayed
 * by the command it prints); SIM_SEED=random explores new ones (as a session should, often).
 */
const DEFAULT_SEED = 20_261_130;
const seed =
  process.env.SIM_SEED === 'random'
    ? undefined
    : process.env.SIM_SEED === undefined
      ? DEFAULT_SEED
      : Number(process.env.SIM_SEED);
const path = process.env.SIM_PATH;
const replayPath = process.env.SIM_REPLAY;
const numRuns = Number(process.env.SIM_RUNS) || 1_000;

afterEach(() => {
  vi.useRealTimers();
});

async function runSchedule(
  exclusive: boolean,
  tabs: number,
  schedule: Iterable<fc.AsyncCommand<Model, World>>,
) {
  freshClock();
  const world = new World(exclusive);
  for (let i = 0; i < tabs; i++) world.open();
  await vi.advanceTimersByTimeAsync(50);
  try {
    await fc.asyncModelRun(() => ({ model: {}, real: world }), schedule);
    await settle(world);
  } finally {
    for (const tab of world.tabs) tab.runtime.crash();
    vi.clearAllTimers();
  }
}

test(
  'every invariant holds after every step of random schedules',
  async () => {
    const property = fc.asyncProperty(
      fc.boolean(),
      fc.integer({ min: 2, max: 5 }),
      fc.commands(steps, { maxCommands: 40, replayPath }),
      (exclusive, tabs, schedule) => runSchedule(exclusive, tabs, schedule),
    );
    const out = await fc.check(property, { numRuns, seed, path, endOnFailure: path !== undefined });
    if (out.failed) {
      const commands = String(out.counterexample?.[2] ?? '').match(/replayPath="([^"]*)"/)?.[1];
      const replay = `SIM_SEED=${out.seed} SIM_PATH="${out.counterexamplePath}" SIM_REPLAY="${commands}" SIM_RUNS=${numRuns} npx vitest run test/simulation`;
      const why = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      throw new Error(
        `${fc.defaultReportMessage(out)}\n\n${why}\n\nreplay (SIM_TRACE=1 traces each request): ${replay}`,
      );
    }
    expect(out.numRuns).toBe(path === undefined ? numRuns : out.numRuns);
  },
  10 * 60_000,
);
