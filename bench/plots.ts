// Plot reads of stored runs: a 5000-point view of the whole run and of a 1 % zoom, for
// 10⁵ and 10⁷ samples (time and current channels), side by side after a warm-up.

import { join } from 'node:path';
import { plotRead } from '../app/plot-read.ts';
import { openDatabase } from '../db/database.ts';
import { RunRecorder } from '../db/recorder.ts';

function store(path: string, n: number): { db: ReturnType<typeof openDatabase>; runId: number } {
  const db = openDatabase(path);
  const rec = new RunRecorder(db, {
    device: 'PLOT', stationName: 'bench', stationJson: '{}', protocolId: 'bench', protocolVersion: '0', params: {}, softwareVersion: 'bench',
    channels: [{ name: 't_s', unit: 's', description: 't' }, { name: 'i_A', unit: 'A', description: 'i' }],
    instruments: [],
  });
  const batch = 100_000;
  const t = new Float64Array(batch);
  const y = new Float64Array(batch);
  for (let i = 0; i < n; i += batch) {
    for (let k = 0; k < batch; k++) {
      t[k] = (i + k) * 1e-4;
      y[k] = Math.sin((i + k) / 1e4) * 1e-5;
    }
    rec.append({ t_s: t, i_A: y });
  }
  rec.finish('completed', 'bench', [], 'bench');
  return { db, runId: rec.runId };
}

export function plotReadFigures(dir: string, line: (name: string, value: string) => void): void {
  process.stdout.write('\nPlot reads of a stored run (5000 points; warm-up, then 5 interleaved repeats):\n');
  const small = store(join(dir, 'plot-small.db'), 100_000);
  const large = store(join(dir, 'plot-large.db'), 10_000_000);
  const cases = [
    ['10⁵ samples, whole run', small, undefined],
    ['10⁷ samples, whole run', large, undefined],
    ['10⁵ samples, zoom to 10⁴ samples', small, [4, 5]],
    ['10⁷ samples, zoom to 10⁴ samples', large, [400, 401]],
    ['10⁷ samples, 1 % zoom (10⁵ samples in view)', large, [400, 410]],
  ] as const;
  const times = cases.map(() => [] as number[]);
  for (let r = 0; r < 6; r++) {
    cases.forEach(([, s, range], i) => {
      const t0 = performance.now();
      plotRead(s.db, s.runId, 'i_A', 't_s', 5000, range ? [range[0], range[1]] : undefined);
      if (r > 0) times[i].push(performance.now() - t0);
    });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  cases.forEach(([name], i) => {
    const s = [...times[i]].sort((a, b) => a - b);
    line(name, `min ${s[0].toFixed(1)} / median ${med(s).toFixed(1)} / max ${s[s.length - 1].toFixed(1)} ms${name.startsWith('10⁷') ? ' (goal < 200 ms)' : ''}`);
  });
  line('10⁷ ÷ 10⁵, whole run', `${(med(times[1]) / med(times[0])).toFixed(2)} (goal ≤ 2)`);
  line('10⁷ ÷ 10⁵, the same span in view', `${(med(times[3]) / med(times[2])).toFixed(2)} (goal ≤ 2)`);
  small.db.close();
  large.db.close();
}
