import { BroadcastChannel } from 'broadcast-channel';
import type { OpenTransport } from './transport.js';

/**
 * The channel over broadcast-channel's own method chooser (IndexedDB, localStorage, or its
 * in-process transport in unit tests): the fallback where the platform has no native
 * BroadcastChannel, loaded only there.
 */
export const libraryTransport: OpenTransport = (channelName, handlers) => {
  const channel = new BroadcastChannel<unknown>(channelName, { type: 'simulate', webWorkerSupport: false });
  channel.addEventListener('message', (data: unknown) => handlers.onMessage(data));
  return {
    post: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
};
