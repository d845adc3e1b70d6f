import { BroadcastChannel, type BroadcastMethod } from 'broadcast-channel';
import { isRecord } from './guards.js';

/**
 * The channel between the tabs, over broadcast-channel (leadership is a Web Lock, see
 * sync/leadership.ts). The rest of the library sees only this small interface, so the
 * coordinator can be driven by any transport.
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

interface Envelope {
  type: 'message';
  time: number;
  data: unknown;
}

interface NativeState {
  bc: globalThis.BroadcastChannel;
  fn: ((msg: Envelope) => void) | null;
}

/** broadcast-channel's envelope of a message (its 'internal' ones belong to its electors, unused here). */
function isEnvelope(x: unknown): x is Envelope {
  return isRecord(x) && typeof x.time === 'number' && x.type === 'message';
}

let lastMicros = 0;
function microSeconds(): number {
  const t = Date.now() * 1000;
  lastMicros = t > lastMicros ? t : lastMicros + 1;
  return lastMicros;
}

/**
 * broadcast-channel's native method, hardened: its own listener throws on a raw message that is
 * not its envelope (anyone on the origin can post one), so this one drops and reports those.
 * It also delivers every message to current listeners regardless of wall-clock time stamps, so a
 * wall clock set back does not silence the channel (a native BroadcastChannel never delivers a
 * message posted before it was created anyway).
 */
function hardenedNativeMethod(onMalformed: () => void): BroadcastMethod<NativeState> {
  return {
    type: 'native',
    microSeconds,
    create(channelName) {
      const state: NativeState = { bc: new globalThis.BroadcastChannel(channelName), fn: null };
      // Node's BroadcastChannel keeps the process alive while it listens; a cache never does (R19).
      (state.bc as { unref?: () => void }).unref?.();
      state.bc.onmessage = (event) => {
        const data: unknown = event.data;
        if (!isEnvelope(data)) {
          onMalformed();
          return;
        }
        state.fn?.({ type: data.type, time: Number.MAX_SAFE_INTEGER, data: data.data });
      };
      state.bc.onmessageerror = () => onMalformed();
      return state;
    },
    close(state) {
      state.bc.close();
    },
    onMessage(state, fn) {
      state.fn = fn;
    },
    postMessage(state, message) {
      try {
        state.bc.postMessage(message);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    canBeUsed() {
      return typeof globalThis.BroadcastChannel === 'function';
    },
    averageResponseTime() {
      return 150;
    },
  };
}

export const openTransport: OpenTransport = (channelName, handlers) => {
  const native = typeof globalThis.BroadcastChannel === 'function';
  const channel = new BroadcastChannel<unknown>(
    channelName,
    native ? { methods: [hardenedNativeMethod(handlers.onMalformed)], webWorkerSupport: false } : {},
  );
  channel.addEventListener('message', (data: unknown) => handlers.onMessage(data));
  return {
    post: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
};
