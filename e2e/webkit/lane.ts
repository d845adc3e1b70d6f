// The WebKit lane for one test worker: the virtual display its browsers draw on, and the proxy
// its pages load the playground through (init-scripts.ts). Started when the worker first needs
// them, stopped (by process id) when it ends; fixtures.ts makes one browser context per test.

import type { ChildProcess } from 'node:child_process';
import { InitScriptProxy } from './init-scripts';
import { findWebKit, startDisplay } from './processes';

/** The WebKit lane's project option (playwright.config.ts): the built playground, and the proxy's port. */
export interface WebKitLaneOption {
  target: string;
  port: number;
}

export interface WebKitLane {
  proxy: InitScriptProxy;
  display: ChildProcess;
}

/** Starts the lane: the playground at `target` is served to WebKit on `port`. */
export async function startWebKitLane(target: string, port: number): Promise<WebKitLane> {
  findWebKit();
  const { display, process: xvfb } = await startDisplay();
  process.env.DISPLAY = display; // the drivers and browsers this worker starts draw there
  const stop = () => xvfb.kill();
  process.once('exit', stop); // a worker that dies leaves no display behind
  const proxy = await InitScriptProxy.start(target, port);
  return { proxy, display: xvfb };
}

export async function stopWebKitLane(lane: WebKitLane): Promise<void> {
  await lane.proxy.close();
  lane.display.kill();
}
