import { describe, expect, it, vi } from 'vitest';
import { watchLifecycle } from '../src/platform/lifecycle.js';
import { across, fakeLifecycle, groupOf, leaders } from './group.js';
import { pass, settledNow, useSimulatedTabs } from './helpers.js';

// R11 with R22: Firefox keeps no page that holds or waits for a Web Lock, and checks that before
// `pagehide`. So a tab listens for `beforeunload` while it holds or waits for a lock, and leaves
// the group there as at `pagehide`; the navigation may still not happen (a prompt the user
// cancels, a link that turns into a download), and then the tab rejoins at its next use, when it
// is visible again, or (calls waiting) after one poll interval. (The browsers' side: e2e.)

const tabs = useSimulatedTabs();
const { open, leaderWithPage } = groupOf(tabs);

describe('R11: the beforeunload listener', () => {
  it('is there only while the tab holds or waits for a lock, and never cancels the navigation', () => {
    const win = new EventTarget();
    vi.stubGlobal('document', new EventTarget());
    vi.stubGlobal('window', win);
    const hides: (boolean | undefined)[] = [];
    const life = watchLifecycle({
      revalidate: () => {},
      hide: (mayStay) => hides.push(mayStay),
      show: () => {},
    });
    const navigate = () => {
      const event = new Event('beforeunload', { cancelable: true });
      win.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(navigate()).toBe(false);
    life.locking(true);
    expect(navigate(), 'the navigation is not cancelled').toBe(false);
    life.locking(false);
    navigate();
    life.locking(true);
    life.stop();
    navigate();
    vi.unstubAllGlobals();
    expect(hides).toEqual([true]);
  });

  it('follows the locks: a leader (holds) and a follower (waits) listen; away, neither does', async () => {
    const [leaderPage, followerPage] = [fakeLifecycle(), fakeLifecycle()];
    const leader = open({}, { watchLifecycle: leaderPage.watch });
    await pass(200);
    const follower = open({}, { watchLifecycle: followerPage.watch });
    await pass(200);
    expect([leader.isLeader, leaderPage.listening, followerPage.listening]).toEqual([true, true, true]);
    followerPage.hide();
    await pass(10);
    expect(followerPage.listening, 'a follower away waits for no lock').toBe(false);
    leaderPage.beforeUnload();
    await pass(10);
    expect(leaderPage.listening, 'the leader let go of every lock at beforeunload').toBe(false);
    leader.close();
    follower.close();
  });
});

describe('R11: a navigation that does not happen', () => {
  it('the leader hands over at beforeunload; staying, it rejoins a poll after its next use, as a follower, with no fetch', async () => {
    const { page, leader, others, token } = await leaderWithPage();
    page.beforeUnload();
    expect(leader.isLeader).toBe(false);
    await pass(50);
    expect(leaders(others), 'a follower took over at once').toHaveLength(1);
    // No pagehide follows: the prompt was cancelled. The app reads a token again.
    await pass(10_000);
    expect(await across(leader.getToken(), 5_000 + 200)).toBe(token);
    expect(page.listening, 'back in the group, waiting for the leader lock').toBe(true);
    expect(leaders([leader, ...others])).toHaveLength(1);
    expect(tabs.server.requests).toBe(1);
  });

  it('a read between beforeunload and pagehide asks for no lock again: the page goes without one (Firefox checks just before pagehide)', async () => {
    const page = fakeLifecycle();
    const tab = open({}, { watchLifecycle: page.watch });
    await pass(200);
    open();
    await pass(200);
    await across(tab.getToken(), 100);
    page.beforeUnload();
    void tab.getToken().catch(() => {}); // the app reads while the next page is on its way
    await pass(100);
    expect(page.listening, 'no lock asked for between beforeunload and pagehide').toBe(false);
    page.hide();
    await pass(10_000);
    expect(page.listening, 'gone: nothing rejoined').toBe(false);
  });

  /** A follower tab with a getToken pending (the leader's fetch takes 1 s) when its navigation begins. */
  async function navigatingWithACallPending() {
    const page = fakeLifecycle();
    open();
    await pass(200);
    const tab = open({}, { watchLifecycle: page.watch });
    await pass(200);
    tabs.server.latencyMs = 1_000;
    const pending = tab.getToken();
    await pass(100);
    page.beforeUnload();
    return { page, pending };
  }

  it('a call waiting when the navigation began settles within one poll interval, with nothing else to wake the tab', async () => {
    const { pending } = await navigatingWithACallPending();
    // The leader's answer arrives while this tab is out of the group; it stays, and rejoins.
    await pass(5_000 + 1_000);
    const state = await settledNow(pending);
    expect(state.done, 'settled within one poll interval (and the answer)').toBe(true);
    expect(state.value).toMatch(/\./);
    expect(tabs.server.requests).toBe(1);
  });

  it('pagehide after beforeunload: the page went after all, and only pageshow brings it back', async () => {
    const { page, pending } = await navigatingWithACallPending();
    let settled = false;
    void pending.finally(() => {
      settled = true;
    });
    page.hide();
    await pass(20_000);
    expect(settled, 'in the back/forward cache nothing runs: no timer brought it back').toBe(false);
    expect(page.listening).toBe(false);
    page.show();
    await pass(1_500);
    expect(settled).toBe(true);
  });
});
