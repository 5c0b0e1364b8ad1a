// A plotly.js (scattergl) plot that grows by appending batches, never by redrawing all
// points: the live view of a run with 10⁶ reads stays fluid. Appends are coalesced to
// one per animation frame.

import Plotly from 'plotly.js-gl2d-dist-min';
import { useEffect, useRef } from 'react';

/** Above this many live points the plot shows a min/max-decimated view of them. */
const LIVE_POINTS = 20_000;
/** Points of the decimated live view. */
const LIVE_VIEW_POINTS = 8000;

/** Min/max decimation: each bucket keeps its lowest and highest point, so spikes stay visible. */
function decimate(x: number[], y: number[], maxPoints: number): { x: number[]; y: number[] } {
  const n = x.length;
  if (n <= maxPoints) return { x, y };
  const buckets = Math.floor(maxPoints / 2);
  const ox: number[] = [];
  const oy: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      ox.push(x[i]);
      oy.push(y[i]);
    }
  }
  return { x: ox, y: oy };
}

/** Figures the benchmark reads from the page: batch latency and frame intervals, ms. */
function perfRecord(): { latencyMs: number[]; frameMs: number[] } {
  const w = window as unknown as { __neuroprobePerf?: { latencyMs: number[]; frameMs: number[] } };
  w.__neuroprobePerf ??= { latencyMs: [], frameMs: [] };
  return w.__neuroprobePerf;
}

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

interface Props {
  title: string;
  xTitle: string;
  yTitle: string;
  logY?: boolean;
  /** Fixed series (stored data). */
  series?: Series[];
  /** Live appends: a function the parent calls with new points per series name. */
  bindAppend?: (append: (name: string, x: number[], y: number[], sentMs?: number) => void) => void;
  /** Zoom re-fetches: called with the visible x-range (null = autorange) for data decimated to it. */
  onRange?: (range: [number, number] | null) => Promise<Series[]>;
  logX?: boolean;
  testId?: string;
}

export function Plot({ title, xTitle, yTitle, logY, logX, series, bindAppend, onRange, testId }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const names = useRef<string[]>([]);
  const pending = useRef(new Map<string, { x: number[]; y: number[] }>());
  const frame = useRef<number | null>(null);
  const count = useRef(0);
  const sent = useRef<number[]>([]);

  useEffect(() => {
    const div = el.current!;
    const data = (series ?? []).map((s) => ({ type: 'scattergl', mode: 'markers', name: s.name, x: s.x, y: s.y, marker: { size: 4 } }));
    names.current = (series ?? []).map((s) => s.name);
    count.current = (series ?? []).reduce((n, s) => n + s.x.length, 0);
    div.dataset.points = String(count.current);
    void Plotly.newPlot(
      div,
      data,
      {
        title: { text: title },
        xaxis: { title: { text: xTitle }, type: logX ? 'log' : 'linear' },
        yaxis: { title: { text: yTitle }, type: logY ? 'log' : 'linear', exponentformat: 'SI' },
        margin: { l: 70, r: 20, t: 40, b: 50 },
        legend: { orientation: 'h' },
        // The user's zoom survives the redraws that bring new points.
        uirevision: 'keep',
      },
      { responsive: true, displaylogo: false },
    ).then(() => {
      if (!onRange) return;
      // Zoom: fetch the visible range again, decimated by the server to the plot's width.
      (div as unknown as { on(ev: string, f: (e: Record<string, unknown>) => void): void }).on('plotly_relayout', (e) => {
        const r0 = e['xaxis.range[0]'];
        const r1 = e['xaxis.range[1]'];
        let range: [number, number] | null;
        if (typeof r0 === 'number' && typeof r1 === 'number') range = [r0, r1];
        else if (e['xaxis.autorange']) range = null;
        else return;
        void onRange(range).then((fresh) => {
          div.dataset.zoomed = range ? `${range[0]},${range[1]}` : '';
          const layout = (div as unknown as { layout: object }).layout;
          void Plotly.react(div, fresh.map((s) => ({ type: 'scattergl', mode: 'markers', name: s.name, x: s.x, y: s.y, marker: { size: 4 } })), layout);
          div.dataset.points = String(fresh.reduce((n, s) => n + s.x.length, 0));
        });
      });
    });
    return () => Plotly.purge(div);
    // Axis types change in place (below): a new plot would drop the live points.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [title, xTitle, yTitle, series]);

  useEffect(() => {
    const div = el.current;
    if (div && (div as unknown as { layout?: object }).layout) void Plotly.relayout(div, { 'yaxis.type': logY ? 'log' : 'linear', 'xaxis.type': logX ? 'log' : 'linear' });
  }, [logY, logX]);

  useEffect(() => {
    if (!bindAppend) return;
    // Every point received, per series; the plot shows them as they are while few, then a
    // min/max-decimated view redrawn at most 4 times a second (appending to a WebGL trace
    // re-processes the whole trace, which made frames stall as the plot grew).
    const all = new Map<string, { x: number[]; y: number[] }>();
    let lastRedraw = 0;
    let redrawTimer: number | null = null;
    const redraw = () => {
      redrawTimer = null;
      lastRedraw = performance.now();
      const div = el.current;
      if (!div) return;
      const traces = [...all.entries()].map(([name, s]) => ({ type: 'scattergl', mode: 'markers', name, ...decimate(s.x, s.y, LIVE_VIEW_POINTS), marker: { size: 4 } }));
      void Plotly.react(div, traces, (div as unknown as { layout: object }).layout).then(() => recordLatency(awaiting.splice(0)));
    };
    const awaiting: number[] = [];
    const recordLatency = (stamps: number[]) => {
      const now = performance.timeOrigin + performance.now();
      const perf = perfRecord();
      for (const t of stamps) if (perf.latencyMs.length < 100_000) perf.latencyMs.push(now - t);
    };
    const flush = () => {
      frame.current = null;
      const div = el.current;
      if (!div) return;
      for (const [name, pts] of pending.current) {
        const kept = all.get(name);
        if (kept) for (let k = 0; k < pts.x.length; k++) (kept.x.push(pts.x[k]), kept.y.push(pts.y[k]));
        else all.set(name, { x: [...pts.x], y: [...pts.y] });
        count.current += pts.x.length;
        if (count.current > LIVE_POINTS) continue;
        let i = names.current.indexOf(name);
        if (i < 0) {
          names.current.push(name);
          i = names.current.length - 1;
          void Plotly.addTraces(div, { type: 'scattergl', mode: 'markers', name, x: pts.x, y: pts.y, marker: { size: 4 } });
        } else void Plotly.extendTraces(div, { x: [pts.x], y: [pts.y] }, [i]);
      }
      if (count.current > LIVE_POINTS && redrawTimer === null) {
        const wait = Math.max(0, 250 - (performance.now() - lastRedraw));
        redrawTimer = window.setTimeout(redraw, wait);
      }
      pending.current.clear();
      div.dataset.points = String(count.current);
      // Latency from the reads reaching the host to their being drawn (for `npm run bench`).
      if (count.current > LIVE_POINTS) awaiting.push(...sent.current);
      else recordLatency(sent.current);
      sent.current = [];
    };
    let last = 0;
    let raf = 0;
    const tick = (t: number) => {
      const perf = perfRecord();
      if (last && perf.frameMs.length < 100_000) perf.frameMs.push(t - last);
      last = t;
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    bindAppend((name, x, y, sentMs) => {
      if (sentMs !== undefined) sent.current.push(sentMs);
      const p = pending.current.get(name);
      if (p) {
        p.x.push(...x);
        p.y.push(...y);
      } else pending.current.set(name, { x: [...x], y: [...y] });
      frame.current ??= requestAnimationFrame(flush);
    });
    return () => {
      cancelAnimationFrame(raf);
      if (redrawTimer !== null) clearTimeout(redrawTimer);
    };
  }, [bindAppend]);

  return <div ref={el} className="plot" data-testid={testId} data-points="0" />;
}
