// What the token server and the page agree on: the shapes of /api/control, /api/stats and
// /api/history, and the limits of the control settings. No Node import in here, so that the page
// (playground/api.ts) imports these instead of copying them.

export type ServerMode = 'ok' | 'fail' | 'garbage';

export const SERVER_MODES: readonly ServerMode[] = ['ok', 'fail', 'garbage'];

/** Accepted ranges of POST /api/control's numbers (integers). */
export const LIMITS = {
  ttlSeconds: { min: 2, max: 3600 },
  latencyMs: { min: 0, max: 60_000 },
  /** Up to a week either way: a node of the auth server whose clock is off. */
  skewNextSeconds: { min: -604_800, max: 604_800 },
  /** Up to an hour; Auth0's reuse interval allows up to 100 s, Okta's grace period 60 s. */
  reuseGraceSeconds: { min: 0, max: 3600 },
} as const;

/** Who may be signed in (POST /api/control `user`): a short name, the `sub` of the tokens. */
export const USER_PATTERN = /^[\w.@-]{1,64}$/;

export interface ControlState {
  /** Lifetime of issued tokens: exp = iat + ttlSeconds. */
  ttlSeconds: number;
  /** Delay before /api/token answers (the request is counted, and a refresh token used up, before it). */
  latencyMs: number;
  /** 'ok': tokens; 'fail': 503; 'garbage': 200 with a token that is not a JWT. */
  mode: ServerMode;
  /** Refresh-token rotation: /api/token requires the `rt` cookie of a session and rotates it. */
  rotation: boolean;
  /**
   * A one-shot clock step: the next token issued is signed as if the server's clock were this many
   * seconds ahead (iat, and exp = iat + ttlSeconds), then this goes back to 0 by itself. 0: none
   * pending. An auth server behind a load balancer with one node whose clock is off does this.
   */
  skewNextSeconds: number;
  /**
   * Who is signed in: the `sub` of every token issued from now on. Changing it is another user
   * signing in (the library's `identity` event, R30).
   */
  user: string;
  /**
   * The OpenID Provider's reuse grace (openid/adapter.ts): a refresh token used up less than this
   * many seconds ago rotates again instead of revoking the grant. 0: oidc-provider as it ships,
   * strict. Our own token server (`rotation`) is always strict.
   */
  reuseGraceSeconds: number;
}

/** The body of POST /api/control: any subset of the settings. */
export type ControlChange = Partial<ControlState>;

export interface ServerStats {
  /** Token requests received, counted on arrival (before any latency), whatever the mode. */
  requests: number;
  /** The same, per key. */
  byKey: Record<string, number>;
  /** /api/protected calls that presented a valid token. */
  accepted: number;
  /** /api/protected calls refused with 401. */
  rejected: number;
  /** Token requests that presented an already used refresh token (each revoked its family). */
  reuseDetected: number;
  /**
   * Token requests in flight now: arrived (counted in `requests`) and not yet answered, nor given
   * up by their client.
   */
  inFlight: number;
  /** The most token requests in flight at one moment since the last reset (a reset starts it at `inFlight`). */
  maxInFlight: number;
}

/** Something that happened on the server, for the page's timeline. */
export type HistoryEvent =
  /** The settings changed (POST /api/control that changed something): the new settings. */
  | { at: number; kind: 'control'; control: ControlState }
  /** A used refresh token came back: its family was revoked, the user signed out. */
  | { at: number; kind: 'reuse' }
  /** POST /api/session: a sign-in, a new refresh-token family. */
  | { at: number; kind: 'sign-in' };

/** GET /api/history: the server's last few minutes, on the server's clock (epoch ms). */
export interface ServerHistory {
  /** The server's clock when it answered: the page lines its own clock up with it. */
  now: number;
  /** How far back the history reaches: from now - windowMs to now. */
  windowMs: number;
  /** Arrival time of every token request in the window, oldest first. */
  requests: number[];
  /** Events in the window, oldest first. */
  events: HistoryEvent[];
  /** The settings at the window's start (now - windowMs). */
  controlAtStart: ControlState;
}
