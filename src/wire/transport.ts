import { isRecord } from './guards.js';

/**
 * The channel between the tabs (leadership is a Web Lock, see sync/leadership.ts). The rest of
 * the library sees only this small interface, so the coordinator can be driven by any transport.
 */
export interface Transport {
  post(message: unknown): Promise<void>;
  close(): Promise<void>;
}

export type OpenTransport = (channelName: string, handlers: TransportHandlers) => Transport;

export interface TransportHandlers {
  onMessage(data: unknown): void;
  /** A raw message on the channel that is not a broadcast-channel envelope at all. */
  onMalformed(): void;
}

/**
 * broadcast-channel's envelope, kept on the wire so that tabs of the previous version of the app
 * (which went through broadcast-channel) and of this one hear each other after a deploy.
 */
function isEnvelope(x: unknown): x is { type: 'message'; data: unknown } {
  return isRecord(x) && typeof x.time === 'number' && x.type === 'message';
}

/**
 * The browser's own BroadcastChannel, hardened: a raw message that is not an envelope (anyone on
 * the origin can post one) is dropped and reported, never thrown, and wall-clock stamps are not
 * compared, so a clock set back does not silence the channel.
 */
function nativeTransport(channelName: string, handlers: TransportHandlers): Transport {
  const bc = new BroadcastChannel(channelName);
  // Node's BroadcastChannel keeps the process alive while it listens; a cache never does (R19).
  (bc as { unref?: () => void }).unref?.();
  bc.onmessage = (event) => {
    const data: unknown = event.data;
    if (isEnvelope(data)) handlers.onMessage(data.data);
    else handlers.onMalformed();
  };
  bc.onmessageerror = handlers.onMalformed;
  return {
    post: async (data) => bc.postMessage({ type: 'message', time: Date.now() * 1000, data }),
    close: async () => bc.close(),
  };
}

/**
 * Where there is no native BroadcastChannel, broadcast-channel's transports stand in, loaded only
 * there (every current browser and Node have a native channel). Messages posted before it is
 * loaded wait for it, in order.
 */
function fallbackTransport(channelName: string, handlers: TransportHandlers): Transport {
  const loading = import('./library-transport.js').then((m) => m.libraryTransport(channelName, handlers));
  return {
    post: (message) => loading.then((t) => t.post(message)),
    close: () => loading.then((t) => t.close()),
  };
}

export const openTransport: OpenTransport = (channelName, handlers) =>
  typeof globalThis.BroadcastChannel === 'function'
    ? nativeTransport(channelName, handlers)
    : fallbackTransport(channelName, handlers);
