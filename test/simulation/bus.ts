import type { OpenTransport, Transport } from '../../src/wire/transport.js';
import type { TabRuntime } from './tab-runtime.js';

interface Endpoint {
  readonly tab: string;
  readonly runtime: TabRuntime;
  readonly onMessage: (data: unknown) => void;
  open: boolean;
}

/** Something a tab received: which tab, what, when (fake ms). */
export interface Delivery {
  readonly to: string;
  readonly data: unknown;
  /** What `onPost` said of the message when it was sent. */
  readonly tag: unknown;
}

/**
 * The BroadcastChannel of the simulated browser: a message reaches every other open endpoint of
 * the channel after `latencyMs`, in the order it was sent, as a structured clone, on the
 * receiver's thread (held back while it hangs). An endpoint closed before delivery gets nothing,
 * as a page in the back/forward cache or a closed page gets nothing.
 */
export class Bus {
  readonly #endpoints = new Set<Endpoint>();
  readonly latencyMs: number;
  /** Called when a tab sends; what it returns travels with the message to `onDeliver`. */
  onPost: (from: string | undefined, data: unknown) => unknown = () => undefined;
  /** Called on the receiver's thread just before its handler runs. */
  onDeliver: (delivery: Delivery) => void = () => {};

  constructor(latencyMs: number) {
    this.latencyMs = latencyMs;
  }

  /** The transport of tab `tab`, as the cache's `openTransport` seam. */
  transportFor(tab: string, runtime: TabRuntime): OpenTransport {
    return (_name, handlers): Transport => {
      const endpoint: Endpoint = { tab, runtime, onMessage: handlers.onMessage, open: true };
      this.#endpoints.add(endpoint);
      return {
        post: async (message) => {
          if (!endpoint.open || runtime.crashed) return;
          this.post(endpoint, message);
        },
        close: async () => {
          endpoint.open = false;
          this.#endpoints.delete(endpoint);
        },
      };
    };
  }

  /** A message from outside any cache (a hostile or buggy peer on the same channel). */
  inject(data: unknown): void {
    this.post(undefined, data);
  }

  post(from: Endpoint | undefined, message: unknown): void {
    const data = structuredClone(message);
    const tag = this.onPost(from?.tab, data);
    const targets = [...this.#endpoints].filter((e) => e !== from);
    setTimeout(() => {
      for (const target of targets) {
        if (!target.open) continue;
        target.runtime.run(() => {
          if (!target.open) return;
          this.onDeliver({ to: target.tab, data, tag });
          target.onMessage(data);
        });
      }
    }, this.latencyMs);
  }
}
