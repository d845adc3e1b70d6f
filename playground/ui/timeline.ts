// The timeline, drawn: the token server's requests over the last minutes (a rising step line, a
// dot per request) against what the same tabs would have cost uncoordinated (a dashed line: one
// request per tab per token lifetime), with outages shaded and leader changes and sign-outs
// marked. Both lines count from the left edge, so the gap between them is the saving.
// A pure drawing of its input (see TimelineInput); timeline-panel.ts feeds it.

import type { ControlState } from '../server/contract';
import { svg } from './dom';
import type { Stay } from './group';

export type MarkKind = 'leader' | 'sign-out' | 'sign-in';

export interface TimelineInput {
  /** The right edge (epoch ms, this page's clock). */
  now: number;
  /** The width of the window (ms). */
  windowMs: number;
  /** Token requests' arrival times (this page's clock), oldest first. */
  requests: number[];
  /** The server's settings at the window's start, and each change after (for ttl and mode). */
  controlAtStart: ControlState;
  controls: { at: number; control: ControlState }[];
  /** The group's tabs, to count the uncoordinated cost. */
  stays: Stay[];
  marks: { at: number; kind: MarkKind; label: string }[];
}

const W = 720;
const H = 230;
const PAD = { left: 40, right: 150, top: 28, bottom: 26 };
const MARK_COLOURS: Record<MarkKind, string> = {
  leader: '#7c3aed',
  'sign-out': '#ea580c',
  'sign-in': '#16a34a',
};

/** The uncoordinated cost: ∫ tabs(t) / ttl(t) dt from the window's start, sampled each second. */
function uncoordinated(input: TimelineInput, start: number): [number, number][] {
  const points: [number, number][] = [[start, 0]];
  let total = 0;
  let control = input.controlAtStart;
  let next = 0;
  const step = Math.max(250, input.windowMs / 240);
  for (let t = start; t < input.now; t += step) {
    while (next < input.controls.length && (input.controls[next]?.at ?? Infinity) <= t) {
      control = input.controls[next]?.control ?? control;
      next++;
    }
    const tabs = input.stays.filter((stay) => stay.openedAt <= t && (stay.closedAt ?? Infinity) > t).length;
    total += (tabs / control.ttlSeconds) * (Math.min(step, input.now - t) / 1000);
    points.push([Math.min(t + step, input.now), total]);
  }
  return points;
}

/** Stretches of the window when the server was not answering tokens (mode fail or garbage). */
function outages(input: TimelineInput, start: number): { from: number; to: number; mode: string }[] {
  const found: { from: number; to: number; mode: string }[] = [];
  let mode = input.controlAtStart.mode;
  let since = start;
  for (const { at, control } of input.controls) {
    if (control.mode === mode) continue;
    if (mode !== 'ok') found.push({ from: since, to: at, mode });
    mode = control.mode;
    since = Math.max(at, start);
  }
  if (mode !== 'ok') found.push({ from: since, to: input.now, mode });
  return found;
}

export function drawTimeline(target: SVGSVGElement, input: TimelineInput): void {
  const start = input.now - input.windowMs;
  const requests = input.requests.filter((at) => at >= start && at <= input.now);
  const baseline = uncoordinated(input, start);
  const cost = baseline[baseline.length - 1]?.[1] ?? 0;
  const top = Math.max(4, requests.length, cost) * 1.1;
  const x = (t: number) => PAD.left + ((t - start) / input.windowMs) * (W - PAD.left - PAD.right);
  const y = (n: number) => H - PAD.bottom - (n / top) * (H - PAD.top - PAD.bottom);
  const right = x(input.now);

  const parts: SVGElement[] = [
    svg(
      'title',
      {},
      `Token requests over the last ${Math.round(input.windowMs / 60_000)} minutes: ${requests.length}, against ${Math.round(cost)} uncoordinated`,
    ),
  ];
  for (const outage of outages(input, start)) {
    parts.push(
      svg('rect', {
        class: 'tl-outage',
        x: x(outage.from),
        y: PAD.top,
        width: Math.max(1, x(outage.to) - x(outage.from)),
        height: H - PAD.top - PAD.bottom,
      }),
      svg(
        'text',
        { class: 'tl-outage-label', x: x(outage.from) + 3, y: PAD.top + 12 },
        outage.mode === 'fail' ? 'outage' : 'garbage',
      ),
    );
  }
  for (const n of [0, Math.round(top / 2), Math.floor(top)]) {
    parts.push(svg('line', { class: 'tl-grid', x1: PAD.left, x2: right, y1: y(n), y2: y(n) }));
    parts.push(
      svg('text', { class: 'tl-axis', x: PAD.left - 6, y: y(n) + 4, 'text-anchor': 'end' }, String(n)),
    );
  }
  const minutes = Math.round(input.windowMs / 60_000);
  for (let m = minutes; m >= 0; m--) {
    const label = m === 0 ? 'now' : `−${m} min`;
    parts.push(
      svg(
        'text',
        { class: 'tl-axis', x: x(input.now - m * 60_000), y: H - 8, 'text-anchor': 'middle' },
        label,
      ),
    );
  }
  for (const mark of input.marks.filter((mark) => mark.at >= start)) {
    const line = svg('line', {
      class: `tl-mark tl-mark-${mark.kind}`,
      x1: x(mark.at),
      x2: x(mark.at),
      y1: PAD.top - 6,
      y2: H - PAD.bottom,
      stroke: MARK_COLOURS[mark.kind],
    });
    line.append(svg('title', {}, mark.label));
    parts.push(
      line,
      svg(
        'text',
        {
          class: 'tl-mark-label',
          x: x(mark.at),
          y: PAD.top - 9,
          fill: MARK_COLOURS[mark.kind],
          'text-anchor': 'middle',
        },
        mark.kind === 'leader' ? '★' : mark.kind === 'sign-out' ? '×' : '↪',
      ),
    );
  }
  parts.push(
    svg('polyline', {
      class: 'tl-uncoordinated',
      points: baseline.map(([t, n]) => `${x(t)},${y(n)}`).join(' '),
    }),
  );
  let stepPath = `M${x(start)},${y(0)}`;
  requests.forEach((at, i) => {
    stepPath += ` H${x(at)} V${y(i + 1)}`;
  });
  stepPath += ` H${right}`;
  parts.push(svg('path', { class: 'tl-requests', d: stepPath }));
  // One element for every dot (a zero-length segment with a round cap each): ten tabs redrawing
  // hundreds of circles every few seconds is work the leader tab cannot spare (R12).
  const dots = requests.map((at, i) => `M${x(at).toFixed(1)},${y(i + 1).toFixed(1)}h0`).join('');
  if (dots) parts.push(svg('path', { class: 'tl-request-dots', d: dots }));
  parts.push(
    svg(
      'text',
      { class: 'tl-end tl-end-uncoordinated', x: right + 6, y: y(cost) + 4 },
      `uncoordinated ≈ ${Math.round(cost)}`,
    ),
    svg(
      'text',
      {
        class: 'tl-end tl-end-requests',
        x: right + 6,
        y: Math.min(H - PAD.bottom, Math.max(y(requests.length) + 4, y(cost) + 18)),
      },
      `requested ${requests.length}`,
    ),
  );
  target.setAttribute('viewBox', `0 0 ${W} ${H}`);
  target.dataset.requests = String(requests.length);
  target.dataset.newest = String(Math.round(requests[requests.length - 1] ?? 0));
  target.dataset.uncoordinated = cost.toFixed(1);
  target.replaceChildren(...parts);
}
