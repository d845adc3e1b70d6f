import { BroadcastChannel, type BroadcastMethod, createLeaderElection } from 'broadcast-channel';

/**
 * The channel and the election, over broadcast-channel. The rest of the library sees only this
 * small interface, so the coordinator can be driven by any transport.
 */
export interface Transport {
  post(message: unknown): Promise<void>;
  readonly isLeader: boolean;
  /** True when this or another tab holds leadership. */
  hasLeader(): Promise<boolean>;
  /** Resolves when this tab becomes leader (never, if it closes first). */
  awaitLeadership(): Promise<void>;
  /** Releases leadership at once and closes the channel. */
  close(): Promise<void>;
}

export interface TransportHandlers {
  onMessage(data: unknown): void;
  /** A raw message on the channel that is not a broadcast-channel envelope at all. */
  onMalformed(): void;
}

interface Envelope {
  type: 'message' | 'internal';
  time: number;
  data: unknown;
}

interface NativeState {
  bc: globalThis.BroadcastChannel;
  fn: ((msg: Envelope) => void) | null;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/**
 * broadcast-channel's envelope. Its leader-election messages ('internal') are read without checks
 * by its own listeners, so they must look exactly like what the elector sends.
 */
function isEnvelope(x: unknown): x is Envelope {
  if (!isRecord(x) || typeof x.time !== 'number') return false;
  if (x.type === 'message') return true;
  const d = x.data;
  return (
    x.type === 'internal' &&
    isRecord(d) &&
    d.context === 'leader' &&
    (d.action === 'apply' || d.action === 'tell' || d.action === 'death') &&
    typeof d.token === 'string'
  );
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

export function openTransport(channelName: string, handlers: TransportHandlers): Transport {
  const native = typeof globalThis.BroadcastChannel === 'function';
  const channel = new BroadcastChannel<unknown>(
    channelName,
    native ? { methods: [hardenedNativeMethod(handlers.onMalformed)], webWorkerSupport: false } : {},
  );
  channel.addEventListener('message', (data: unknown) => handlers.onMessage(data));
  const elector = createLeaderElection(channel);
  return {
    post: (message) => channel.postMessage(message),
    get isLeader() {
      return elector.isLeader && !elector.isDead;
    },
    hasLeader: () => elector.hasLeader(),
    awaitLeadership: () => elector.awaitLeadership(),
    async close() {
      await elector.die();
      await channel.close();
    },
  };
}
