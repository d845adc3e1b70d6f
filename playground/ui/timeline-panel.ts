// Feeds the timeline (timeline.ts): the server's history (GET /api/history, every 5 s: token
// requests, settings, sign-ins, refresh-token reuse) put on this page's clock, with what this
// tab saw itself (leader changes in the group, sign-outs), redrawn after each read.

import { api } from '../api';
import type { ControlState, ServerHistory } from '../server/contract';
import { el, setText } from './dom';
import type { Group } from './group';
import { drawTimeline, type MarkKind } from './timeline';

/** The width of the drawn window. The server remembers five minutes. */
const WINDOW_MS = 3 * 60_000;

const target = el('timeline') as unknown as SVGSVGElement;
const caption = el('timeline-caption');

interface Mark {
  at: number;
  kind: MarkKind;
  label: string;
}

export interface TimelinePanel {
  /** Something this tab saw, marked on the timeline. */
  mark(kind: MarkKind, label: string): void;
}

export function startTimelinePanel(group: Group): TimelinePanel {
  let history: ServerHistory | null = null;
  /** This page's clock minus the server's, from the last answer. */
  let offset = 0;
  const marks: Mark[] = [];

  const draw = () => {
    if (!history) return;
    const controls = history.events.flatMap((event) =>
      event.kind === 'control' ? [{ at: event.at + offset, control: event.control }] : [],
    );
    const serverMarks = history.events.flatMap((event): Mark[] =>
      event.kind === 'reuse'
        ? [{ at: event.at + offset, kind: 'sign-out', label: 'refresh token reused: signed out' }]
        : event.kind === 'sign-in'
          ? [{ at: event.at + offset, kind: 'sign-in', label: 'signed in (a new session)' }]
          : [],
    );
    const now = Date.now();
    drawTimeline(target, {
      now,
      windowMs: Math.min(WINDOW_MS, history.windowMs),
      requests: history.requests.map((at) => at + offset),
      controlAtStart: controlAt(history, now - WINDOW_MS - offset),
      controls,
      stays: group.stays(),
      marks: [...marks, ...serverMarks].sort((a, b) => a.at - b.at),
    });
    const tabs = group.tabs().length;
    const ttl = history.events.reduce<ControlState>(
      (control, event) => (event.kind === 'control' ? event.control : control),
      history.controlAtStart,
    ).ttlSeconds;
    setText(
      caption,
      `Every token request the server received, against ${tabs} tab${tabs === 1 ? '' : 's'} × 1 request per ${ttl} s token lifetime.`,
    );
  };

  const read = async () => {
    try {
      const answer = await api.history();
      offset = Date.now() - answer.now;
      history = answer;
      draw();
    } catch {
      // The server is away; the counters say so, and the next read catches up.
    }
  };

  // Every 5 s, tabs out of step with each other, and not while the tab is hidden: with many tabs
  // open, they do not all draw at once (a leader must answer within half a poll, R12).
  void read();
  setTimeout(
    () =>
      setInterval(() => {
        if (document.visibilityState === 'visible') void read();
      }, 5000),
    Math.random() * 5000,
  );
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void read();
  });
  return {
    mark(kind, label) {
      marks.push({ at: Date.now(), kind, label });
      while ((marks[0]?.at ?? Infinity) < Date.now() - WINDOW_MS) marks.shift();
      // Drawn at the next read, not now: a leader change happens in every tab at once, and the
      // new leader must answer its followers' questions within half a poll (R12).
    },
  };
}

/** The server's settings at `at` (server clock). */
function controlAt(history: ServerHistory, at: number): ControlState {
  let control = history.controlAtStart;
  for (const event of history.events) if (event.kind === 'control' && event.at <= at) control = event.control;
  return control;
}
