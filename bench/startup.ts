// Start-up of the command: `neuroprobe runs` (built, and from the TypeScript sources)
// against `node -e 0`, interleaved, after a warm-up of each. The ratio is the goal.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NeuroProbeApp } from '../app/service.ts';
import { summary } from './report.ts';
// @ts-expect-error a plain JavaScript module shared with the command's entry point
import { builtIsFresh } from '../cli/freshness.mjs';

const BIN = fileURLToPath(new URL('../cli/neuroprobe.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function timeS(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return (performance.now() - t) / 1000;
}


export function startupFigures(line: (name: string, value: string) => void): void {
  process.stdout.write('\nStart-up (7 interleaved repeats after a warm-up):\n');
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-startup-'));
  try {
    const db = join(dir, 'np.db');
    new NeuroProbeApp(db).close(); // an empty database for `runs` to list
    const cases: [string, string[], NodeJS.ProcessEnv][] = [
      ['node -e 0', ['-e', '0'], {}],
      ['neuroprobe runs (built, dist/)', [BIN, 'runs', '--db', db], {}],
      ['neuroprobe runs (TypeScript sources via tsx)', [BIN, 'runs', '--db', db], { NEUROPROBE_FROM_SOURCE: '1' }],
    ];
    const times = cases.map(() => [] as number[]);
    cases.forEach(([, a, e]) => timeS(a, e));
    for (let r = 0; r < 7; r++) cases.forEach(([, a, e], i) => times[i].push(timeS(a, e)));
    const f = (x: number) => `${(1000 * x).toFixed(0)} ms`;
    cases.forEach(([name], i) => {
      const s = summary(times[i]);
      line(name, `min ${f(s.min)} / median ${f(s.median)} / max ${f(s.max)}`);
    });
    const base = summary(times[0]).median;
    const fresh = builtIsFresh(fileURLToPath(new URL('..', import.meta.url)));
    line('built ÷ node -e 0 (medians)', `${(summary(times[1]).median / base).toFixed(2)}× (goal ≤ 3×)${fresh ? '' : existsSync(BUILT) ? ' — dist/ is older than the sources, so this ran them: npm run build:cli' : ' — dist/ missing: npm install'}`);
    line('sources ÷ node -e 0 (medians)', `${(summary(times[2]).median / base).toFixed(2)}×`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

