// HTTP plumbing of the playground's token server: JSON answers, bounded JSON bodies, and the
// checks that turn a bad field into a 400 that says what was wrong.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVER_MODES, type ServerMode, USER_PATTERN } from './contract.js';

/** An error that becomes a JSON `{ error: message }` answer with the given status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function showValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `${name} must be an integer between ${min} and ${max}, got ${showValue(value)}`);
  }
  return value;
}

export function checkMode(value: unknown): ServerMode {
  if (typeof value !== 'string' || !(SERVER_MODES as readonly string[]).includes(value)) {
    throw new HttpError(400, `mode must be one of ${SERVER_MODES.join(', ')}, got ${showValue(value)}`);
  }
  return value as ServerMode;
}

export function checkUser(value: unknown): string {
  if (typeof value !== 'string' || !USER_PATTERN.test(value)) {
    throw new HttpError(400, `user must be 1 to 64 letters, digits or _.@-, got ${showValue(value)}`);
  }
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new HttpError(400, `${name} must be true or false, got ${showValue(value)}`);
  }
  return value;
}

export function checkFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    const list = unknown.map((field) => JSON.stringify(field)).join(', ');
    throw new HttpError(400, `unknown field(s) ${list}; allowed: ${allowed.join(', ')}`);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * Reads the whole body, at most `limit` bytes (else 413), and parses it as a JSON object.
 * An empty body counts as `{}`.
 */
export function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new HttpError(413, `request body too large: at most ${limit} bytes`, { connection: 'close' });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume(); // drain it; the answer closes the connection
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (failed) return;
      failed = true;
      reject(new HttpError(400, `could not read the request body: ${err.message}`));
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve({});
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        reject(new HttpError(400, `request body is not valid JSON: ${reason}`));
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        reject(new HttpError(400, `request body must be a JSON object, got ${showValue(parsed)}`));
        return;
      }
      resolve(parsed as Record<string, unknown>);
    });
  });
}

export function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
