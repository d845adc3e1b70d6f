// Scenario 10: anything on the cache's channel that is not the library's own message is dropped,
// counted, and changes nothing.

import { expect, test } from './fixtures';
import { cacheStats } from './page-state';
import { isShown, textOf } from './shown';
import { LONG_TTL_S, POLL_MS } from './timing.mjs';
import { elapse, expectOneLeader, expectSharedToken } from './waits';

const MESSAGES = 1000;

/** Payloads for broadcast-channel's 'internal' (leader election) envelopes, none of them its own. */
const INTERNAL_GARBAGE: unknown[] = [
  null,
  0,
  'x',
  [],
  {},
  { context: 'leader' },
  { context: 'leader', action: 7 },
  { context: 'leader', action: 'tell', token: 42 },
];

test('1,000 malformed messages on the channel: no page error, all counted as rejected, tokens unaffected', async ({
  server,
  tabs,
  cacheName,
}) => {
  await server.control({ ttlSeconds: LONG_TTL_S });
  const { pages, leaderIndex, jti } = await tabs.openSettled(3);
  const before = await Promise.all(pages.map(cacheStats));
  const requestsBefore = await server.requests();

  // Posted from one of the tabs on a native BroadcastChannel of the cache's name: every cache
  // instance of the origin receives them, the poster's own included.
  const posted = await pages[0]?.evaluate(
    ({ name, total }) => {
      const b64url = (value: unknown) =>
        btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
      const now = Math.floor(Date.now() / 1000);
      // Structurally a JWT with exp and iat, newer than any real one, but not signed by the
      // server: only verifyToken can tell, and it must reject it.
      const forged = `${b64url({ alg: 'ES256', typ: 'JWT', kid: 'forged' })}.${b64url({
        sub: 'mallory',
        key: 'default',
        iat: now + 100,
        exp: now + 3700,
        jti: 'forged',
      })}.${b64url('not a signature')}`;
      const base = { p: 'tab-token-cache', v: 1, name, from: 'mallory', epoch: 0 };
      const shapes: ((i: number) => unknown)[] = [
        (i) => i,
        () => null,
        () => undefined,
        (i) => `garbage ${i}`,
        () => true,
        () => 10n ** 30n,
        () => [1, 2, 3],
        () => ({}),
        () => new Date(),
        () => new Map([['type', 'token']]),
        () => new Uint8Array([1, 2, 3]).buffer,
        () => ({ type: 'token', key: 'default', token: 'x' }),
        () => ({ ...base, v: 2, type: 'heartbeat' }),
        () => ({ ...base, p: 'other-protocol', type: 'heartbeat' }),
        () => ({ ...base, name: `${name}-other`, type: 'heartbeat' }),
        () => ({ ...base, from: '', type: 'heartbeat' }),
        () => ({ ...base, from: 'x'.repeat(1000), type: 'heartbeat' }),
        () => ({ ...base, type: 'no-such-type' }),
        () => ({ ...base, epoch: -1, type: 'clear' }),
        () => ({ ...base, epoch: 1.5, type: 'clear' }),
        () => ({ ...base, epoch: '9', type: 'clear' }),
        () => ({
          ...base,
          type: 'token',
          key: 'default',
          token: 'not-a-jwt',
          expiresAt: Date.now() + 60_000,
        }),
        () => ({ ...base, type: 'token', key: 'default', token: 'a.b.c', expiresAt: Date.now() + 60_000 }),
        () => ({ ...base, type: 'token', key: 'default', token: forged, expiresAt: Number.NaN }),
        () => ({ ...base, type: 'token', key: '', token: forged, expiresAt: Date.now() + 60_000 }),
        () => ({ ...base, type: 'token', key: 'default', token: 'x'.repeat(100_000), expiresAt: 1 }),
        // Passes the shape check; only verifyToken rejects it.
        () => ({ ...base, type: 'token', key: 'default', token: forged, expiresAt: Date.now() + 3_600_000 }),
        () => ({ ...base, type: 'snapshot', to: 'someone', tokens: 'all of them' }),
        () => ({ ...base, type: 'snapshot', to: 'someone', tokens: [null] }),
        () => ({ ...base, type: 'ask', id: 'q', key: 'default', reason: 'because' }),
        () => ({ ...base, type: 'ack', to: 42, id: 'q' }),
        () => ({ ...base, type: 'ask-failed', key: 'default', code: 'no_such_code', message: 'x' }),
      ];
      const channel = new BroadcastChannel(`tab-token-cache:${name}`);
      for (let i = 0; i < total; i++) {
        const garbage = (shapes[i % shapes.length] as (i: number) => unknown)(i);
        // Two in three wrapped the way broadcast-channel wraps its messages.
        const message = i % 3 === 0 ? garbage : { type: 'message', time: Date.now() * 1000, data: garbage };
        channel.postMessage(message);
      }
      channel.close();
      return total;
    },
    { name: cacheName, total: MESSAGES },
  );
  expect(posted).toBe(MESSAGES);

  // Every tab counts every one of them as rejected (the forged tokens once verifyToken refused them).
  for (const [i, page] of pages.entries()) {
    await expect
      .poll(async () => (await cacheStats(page)).messagesRejected - (before[i]?.messagesRejected ?? 0), {
        message: `tab ${i}: messages rejected`,
      })
      .toBe(MESSAGES);
  }

  // A few polls later: nothing changed.
  await elapse(3 * POLL_MS);
  expect(await expectSharedToken(pages)).toBe(jti);
  expect(await expectOneLeader(pages)).toBe(leaderIndex);
  const after = await Promise.all(pages.map(cacheStats));
  for (const [i, page] of pages.entries()) {
    expect(after[i]?.messagesRejected, `tab ${i}: no legitimate message was rejected`).toBe(
      (before[i]?.messagesRejected ?? 0) + MESSAGES,
    );
    expect(after[i]?.broadcastsReceived, `tab ${i}: broadcasts received`).toBe(before[i]?.broadcastsReceived);
    expect(after[i]?.keys).toBe(1);
    await expect.poll(() => textOf(page, 'token-jti')).toBe(jti);
    await expect.poll(() => isShown(page, 'signed-out')).toBe(false);
  }
  const stats = await server.stats();
  expect(stats.requests, 'token requests caused by the messages').toBe(requestsBefore);
  expect(stats.rejected).toBe(0);
});

test('malformed internal (leader-election) envelopes on the channel raise no page error', async ({
  server,
  tabs,
  cacheName,
}) => {
  await server.control({ ttlSeconds: LONG_TTL_S });
  const { pages, leaderIndex, jti } = await tabs.openSettled(2);

  // broadcast-channel's envelopes of type 'internal' carry its leader election's messages, whose
  // listeners read `msg.context` unguarded: garbage inside must be dropped before it reaches them.
  const before = await Promise.all(pages.map(cacheStats));
  await pages[1 - leaderIndex]?.evaluate(
    ({ name, garbage }) => {
      const channel = new BroadcastChannel(`tab-token-cache:${name}`);
      for (const data of garbage) channel.postMessage({ type: 'internal', time: Date.now() * 1000, data });
      channel.close();
    },
    { name: cacheName, garbage: INTERNAL_GARBAGE },
  );

  // Dropped and counted like any other malformed message (R14), in every tab.
  for (const [i, page] of pages.entries()) {
    await expect
      .poll(async () => (await cacheStats(page)).messagesRejected - (before[i]?.messagesRejected ?? 0), {
        message: `tab ${i}: messages rejected`,
      })
      .toBe(INTERNAL_GARBAGE.length);
  }
  await elapse(3 * POLL_MS);
  expect(await expectOneLeader(pages)).toBe(leaderIndex);
  expect(await expectSharedToken(pages)).toBe(jti);
  // The page-error fixture fails this test if any listener threw.
});
