// Whole-process memory of runs of growing length, each run in its own child process.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ../bench/ from here and from dist/ (the bench also runs built, one folder deep).
const CHILD = fileURLToPath(new URL('../bench/rss-child.ts', import.meta.url));

/** Peak RSS of one child job and the heap it still uses after a full collection, MB. */
function childMemory(args: string[], heapCapMB?: number): { rssMB: number; retainedMB: number } {
  const flags = heapCapMB ? [`--max-old-space-size=${heapCapMB}`] : [];
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', CHILD, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`memory child (${args.slice(0, 2).join(' ')}) failed: ${r.stderr.trim().split('\n').slice(-4).join(' ')}`);
  const [rss, retained] = r.stdout.trim().split(' ').map(Number);
  return { rssMB: rss / 1024, retainedMB: retained / 1024 };
}

const childRssMB = (args: string[], heapCapMB?: number) => childMemory(args, heapCapMB).rssMB;

/** Whole-process peak RSS: endurance 10⁵ vs 10⁶ cycles, LTP/LTD 10⁴ vs 10⁵ pulses, the card of a 10⁶- vs 10⁷-sample stored run. */
export function rssFigures(line: (name: string, value: string) => void): void {
  process.stdout.write('\nMemory: whole-process peak RSS, one process per job (goal: longer ÷ shorter ≤ 1.2):\n');
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-rss-'));
  try {
    const pair = (name: string, small: [string, number], large: [string, number], unit: string) => {
      const a = childMemory([small[0], String(small[1]), join(dir, `${small[0]}-${small[1]}.db`)]);
      const b = childMemory([large[0], String(large[1]), join(dir, `${large[0]}-${large[1]}.db`)]);
      line(`${name}: ${small[1].toExponential(0)} ${unit}`, `${a.rssMB.toFixed(0)} MB (heap kept after the run: ${a.retainedMB.toFixed(1)} MB)`);
      line(`${name}: ${large[1].toExponential(0)} ${unit}`, `${b.rssMB.toFixed(0)} MB (heap kept after the run: ${b.retainedMB.toFixed(1)} MB)`);
      line(`${name}: ratio`, `${(b.rssMB / a.rssMB).toFixed(2)} (goal ≤ 1.2)`);
    };
    pair('run endurance', ['endurance', 100_000], ['endurance', 1_000_000], 'cycles');
    pair('run ltp-ltd', ['ltp-ltd', 10_000], ['ltp-ltd', 100_000], 'pulses');
    // The endurance runs above stored 5 channels × 2 reads per cycle: 10⁶ and 10⁷ samples.
    const c6 = childRssMB(['card', join(dir, 'endurance-100000.db')]);
    const c7 = childRssMB(['card', join(dir, 'endurance-1000000.db')]);
    line('card of a stored run: 10⁶ samples', `${c6.toFixed(0)} MB`);
    line('card of a stored run: 10⁷ samples', `${c7.toFixed(0)} MB`);
    line('card of a stored run: ratio', `${(c7 / c6).toFixed(2)} (goal ≤ 1.2)`);
    // What is live stays bounded: with the heap capped the long run still completes (V8 otherwise grows its heap lazily).
    line('run endurance 10⁶ cycles, V8 heap capped at 60 MB', `${childRssMB(['endurance', '1000000', join(dir, 'capped.db')], 60).toFixed(0)} MB (completes: the data is not held)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
