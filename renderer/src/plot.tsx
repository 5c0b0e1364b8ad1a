// A plotly.js (scattergl) plot that grows by appending batches, never by redrawing all
// points: the live view of a run with 10⁶ reads stays fluid. Appends are coalesced to
// one per animation frame.

import Plotly from 'plotly.js-gl2d-dist-min';
import { useEffect, useRef } from 'react';

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
  bindAppend?: (append: (name: string, x: number[], y: number[]) => void) => void;
  testId?: string;
}

export function Plot({ title, xTitle, yTitle, logY, series, bindAppend, testId }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const names = useRef<string[]>([]);
  const pending = useRef(new Map<string, { x: number[]; y: number[] }>());
  const frame = useRef<number | null>(null);
  const count = useRef(0);

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
        xaxis: { title: { text: xTitle } },
        yaxis: { title: { text: yTitle }, type: logY ? 'log' : 'linear', exponentformat: 'SI' },
        margin: { l: 70, r: 20, t: 40, b: 50 },
        legend: { orientation: 'h' },
      },
      { responsive: true, displaylogo: false },
    );
    return () => Plotly.purge(div);
  }, [title, xTitle, yTitle, logY, series]);

  useEffect(() => {
    if (!bindAppend) return;
    const flush = () => {
      frame.current = null;
      const div = el.current;
      if (!div) return;
      for (const [name, pts] of pending.current) {
        let i = names.current.indexOf(name);
        if (i < 0) {
          names.current.push(name);
          i = names.current.length - 1;
          void Plotly.addTraces(div, { type: 'scattergl', mode: 'markers', name, x: pts.x, y: pts.y, marker: { size: 4 } });
        } else void Plotly.extendTraces(div, { x: [pts.x], y: [pts.y] }, [i]);
        count.current += pts.x.length;
      }
      pending.current.clear();
      div.dataset.points = String(count.current);
    };
    bindAppend((name, x, y) => {
      const p = pending.current.get(name);
      if (p) {
        p.x.push(...x);
        p.y.push(...y);
      } else pending.current.set(name, { x: [...x], y: [...y] });
      frame.current ??= requestAnimationFrame(flush);
    });
  }, [bindAppend]);

  return <div ref={el} className="plot" data-testid={testId} data-points="0" />;
}
