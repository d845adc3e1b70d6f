// The wake-up counter of the wakeups row: an init script, installed before any script of the
// page, that counts the tasks in which the library's code runs (see countWakeups).

// The library's sources as the dev server serves them (outside the playground's root: /@fs/...).
export const LIBRARY_PATH = `/@fs${new URL('../../src/', import.meta.url).pathname}`;

/**
 * Installed before any script of the page (context.addInitScript): counts in `window.__wakeups`
 * the tasks in which the library's code runs. A wake-up is a timer callback that fires (setTimeout,
 * setInterval), a `message` event delivered to a BroadcastChannel, or a message a Worker (or a
 * MessagePort) posts to the page; an event reaching several listeners counts once. Granted Web
 * Locks are counted apart (`locks`). A timer counts as the library's when a frame of the library
 * (`libraryPath`, its sources as the dev server serves them) or of a dependency (/node_modules/)
 * is on the stack that set it; the other timers (idle.ts's once-a-second read, Vite's client) are
 * counted apart in `otherTimers`. The pages create no BroadcastChannel, Worker, MessagePort or Web
 * Lock of their own: every one is the library's.
 */
export function countWakeups(libraryPath) {
  const counts = { timers: 0, channel: 0, worker: 0, locks: 0, otherTimers: 0 };
  Object.defineProperty(window, '__wakeups', { value: counts });
  const isLibrary = (stack) => stack.includes(libraryPath) || /\/node_modules\/(?!vite\/)/.test(stack);
  const setByLibrary = () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 200;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    return isLibrary(stack);
  };
  for (const name of ['setTimeout', 'setInterval']) {
    const original = window[name];
    window[name] = (callback, ...rest) => {
      if (typeof callback !== 'function') return original.call(window, callback, ...rest);
      const field = setByLibrary() ? 'timers' : 'otherTimers';
      return original.call(
        window,
        function (...args) {
          counts[field]++;
          return callback.apply(this, args);
        },
        ...rest,
      );
    };
  }
  const counted = new WeakSet();
  const patch = (Target, field) => {
    const proto = Target.prototype;
    const count = (event) => {
      if (counted.has(event)) return;
      counted.add(event);
      counts[field]++;
    };
    const wrappers = new WeakMap();
    const wrap = (listener) => {
      if (!wrappers.has(listener)) {
        wrappers.set(
          listener,
          typeof listener === 'function'
            ? function (event) {
                count(event);
                return listener.call(this, event);
              }
            : {
                handleEvent(event) {
                  count(event);
                  return listener.handleEvent(event);
                },
              },
        );
      }
      return wrappers.get(listener);
    };
    const { addEventListener: add, removeEventListener: remove } = EventTarget.prototype;
    Object.defineProperty(proto, 'addEventListener', {
      configurable: true,
      writable: true,
      value(type, listener, options) {
        return add.call(this, type, type === 'message' && listener ? wrap(listener) : listener, options);
      },
    });
    Object.defineProperty(proto, 'removeEventListener', {
      configurable: true,
      writable: true,
      value(type, listener, options) {
        const wrapped = type === 'message' && listener ? wrappers.get(listener) : undefined;
        return remove.call(this, type, wrapped ?? listener, options);
      },
    });
    const handler = Object.getOwnPropertyDescriptor(proto, 'onmessage');
    const raw = new WeakMap();
    Object.defineProperty(proto, 'onmessage', {
      configurable: true,
      enumerable: true,
      get() {
        return raw.has(this) ? raw.get(this) : handler.get.call(this);
      },
      set(fn) {
        raw.set(this, fn);
        handler.set.call(
          this,
          typeof fn === 'function'
            ? function (event) {
                count(event);
                return fn.call(this, event);
              }
            : fn,
        );
      },
    });
  };
  if (typeof BroadcastChannel === 'function') patch(BroadcastChannel, 'channel');
  if (typeof Worker === 'function') patch(Worker, 'worker');
  if (typeof MessagePort === 'function') patch(MessagePort, 'worker');
  // A granted Web Lock runs its callback in a task of its own.
  if (typeof LockManager === 'function') {
    const request = LockManager.prototype.request;
    LockManager.prototype.request = function (...args) {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = function (...rest) {
          counts.locks++;
          return callback.apply(this, rest);
        };
      }
      return request.apply(this, args);
    };
  }
}
