// Whole-process memory of runs of growing length, each run in its own child process.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Whole-process peak RSS of endurance runs of growing length, each in its own process. */
export function enduranceRssFigures(line: (name: string, value: string) => void): void {
  process.stdout.write('\nMemory: whole-process peak RSS of `run endurance` (one process per run):\n');
  const child = fileURLToPath(new URL('./endurance-rss-child.ts', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-rss-'));
  try {
    const rss = (cycles: number, heapCapMB?: number) => {
      const flags = heapCapMB ? [`--max-old-space-size=${heapCapMB}`] : [];
      const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', child, String(cycles), join(dir, `e${cycles}${heapCapMB ?? ''}.db`)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`endurance child (${cycles} cycles) failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
      return Number(r.stdout.trim()) / 1024;
    };
    const small = rss(100_000);
    const large = rss(1_000_000);
    line('10⁵ cycles', `${small.toFixed(0)} MB`);
    line('10⁶ cycles', `${large.toFixed(0)} MB`);
    line('10⁶ ÷ 10⁵', `${(large / small).toFixed(2)} (goal ≤ 1.2)`);
    // What is live stays bounded: with the heap capped at 60 MB the long run still completes (V8 otherwise grows its heap lazily).
    line('10⁶ cycles with the V8 heap capped at 60 MB', `${rss(1_000_000, 60).toFixed(0)} MB (completes: the data is not held)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
