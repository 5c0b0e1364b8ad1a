// `npm run bench`: performance figures, measured side by side in one run. Nothing here
// is asserted; the figures and ratios are printed for people to compare across changes.

import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnduranceAccumulator } from '../analysis/endurance.ts';
import { yNu } from '../analysis/exp-model.ts';
import { analyseLtpLtd } from '../analysis/ltp-ltd.ts';
import { fitLsq3 } from '../analysis/nonlinearity.ts';
import { NeuroProbeApp } from '../app/service.ts';
import { Rng } from '../drivers/sim/rng.ts';
import { encodeFloat64LE } from '../db/blob.ts';
import { openDatabase } from '../db/database.ts';
import { RunRecorder } from '../db/recorder.ts';
import { SimBench } from '../drivers/sim/bench.ts';
import { serveInstrument } from '../drivers/sim/tcp-server.ts';
import { parseStation, simulatedStation } from '../protocols/station.ts';
import { uiBenchmarks } from './ui.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startupFigures } from './startup.ts';
import { line, spread, summary } from './report.ts';
import { rssFigures } from './memory.ts';
import { plotReadFigures } from './plots.ts';




const REPEATS = 3;

async function ltpLtdPulsesPerSecond(dir: string): Promise<void> {
  const params = { cycles: 20, pulsesPerTrain: 100 };
  const pulses = params.cycles * 2 * params.pulsesPerTrain;
  process.stdout.write(`\nLTP/LTD end to end (${pulses} pulses, stored to SQLite; warm-up, then ${REPEATS} interleaved repeats):\n`);
  const sim = new SimBench({ seed: 1 });
  const server = await serveInstrument(sim.smu, 0);
  const tcpStation = parseStation(
    {
      ...simulatedStation(),
      instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }],
      wiring: { sourceMeter: 'smu' },
      simulation: undefined,
    },
    'bench',
  );
  let k = 0;
  const runS = async (station: ReturnType<typeof simulatedStation>) => {
    const app = new NeuroProbeApp(join(dir, `ltp${k++}.db`));
    const t = performance.now();
    await app.runProtocol({ protocolId: 'ltp-ltd', params, station, device: `B${k}` });
    const s = (performance.now() - t) / 1000;
    app.close();
    return s;
  };
  try {
    await runS(simulatedStation());
    await runS(tcpStation);
    const mem: number[] = [];
    const tcp: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      mem.push(await runS(simulatedStation()));
      tcp.push(await runS(tcpStation));
    }
    line('in-memory simulator', spread(mem.map((s) => pulses / s), 0, 'pulses/s'));
    line('TCP simulator on loopback', spread(tcp.map((s) => pulses / s), 0, 'pulses/s'));
    line('TCP ÷ in-memory (pulses/s, per repeat)', spread(mem.map((m, i) => m / tcp[i]), 2));
  } finally {
    await server.close();
  }
}

async function enduranceCyclesPerSecond(dir: string): Promise<void> {
  const cycles = 100_000;
  const station = { ...simulatedStation(), simulation: { seed: 1, deviceIndex: 0, device: {}, faults: [] } };
  const runS = async (n: number, name: string) => {
    const app = new NeuroProbeApp(join(dir, `${name}.db`));
    const t = performance.now();
    await app.runProtocol({ protocolId: 'endurance', params: { cycles: n, cyclesPerTrain: 10_000, stopAfterFailure: 'no' }, station, device: name });
    const s = (performance.now() - t) / 1000;
    app.close();
    return s;
  };
  await runS(10_000, 'warm');
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) rates.push(cycles / (await runS(cycles, `e${r}`)));
  line(`endurance, ${cycles.toExponential(0)} cycles (2 reads each), stored`, `${spread(rates, 0, 'cycles/s')} (10⁶ cycles ≈ ${(1e6 / summary(rates).median).toFixed(0)} s)`);
}

/**
 * Ingest into SQLite against a plain file of the same bytes, the database's clock stopped
 * after close() (the WAL checkpoint counted). WAL writes each page twice (log, then
 * database at the checkpoint), so a single plain write is about twice as fast at best.
 */
export function storageThroughput(dir: string): void {
  const channels = 6;
  const perChannel = 1_000_000;
  const batch = 10_000;
  const data = Array.from({ length: batch }, (_, i) => Math.sin(i) * 1e-5);
  const names = Array.from({ length: channels }, (_, i) => `c${i}`);
  const samples = channels * perChannel;
  process.stdout.write(`\nStorage (${channels} channels × ${perChannel} float64 samples, appended in batches of ${batch}; warm-up, then ${REPEATS} interleaved repeats):\n`);

  let k = 0;
  const sqlite = (): { s: number; bytes: number } => {
    const file = join(dir, `store${k++}.db`);
    const t = performance.now();
    const db = openDatabase(file);
    const rec = new RunRecorder(db, {
      device: 'B3',
      stationName: 'bench',
      stationJson: '{}',
      protocolId: 'bench',
      protocolVersion: '0',
      params: {},
      softwareVersion: 'bench',
      channels: names.map((name) => ({ name, unit: 'A', description: name })),
      instruments: [],
    });
    for (let done = 0; done < perChannel; done += batch) rec.append(Object.fromEntries(names.map((n) => [n, data])));
    rec.finish('completed', 'bench', [], 'bench');
    db.close();
    const s = (performance.now() - t) / 1000;
    const bytes = statSync(file).size;
    rmSync(file, { force: true });
    return { s, bytes };
  };
  const plainFile = (sync: boolean): number => {
    const file = join(dir, `raw${k++}.bin`);
    const t0 = performance.now();
    const fd = openSync(file, 'w');
    for (let done = 0; done < perChannel; done += batch) for (let c = 0; c < channels; c++) writeSync(fd, encodeFloat64LE(data));
    if (sync) fsyncSync(fd);
    closeSync(fd);
    const s = (performance.now() - t0) / 1000;
    rmSync(file, { force: true });
    return s;
  };
  sqlite();
  plainFile(false);
  plainFile(true);
  const db: number[] = [];
  const file: number[] = [];
  const synced: number[] = [];
  let bytes = 0;
  for (let r = 0; r < REPEATS; r++) {
    const x = sqlite();
    db.push(x.s);
    bytes = x.bytes;
    file.push(plainFile(false));
    synced.push(plainFile(true));
  }
  const rate = (xs: number[]) => spread(xs.map((s) => samples / s / 1e6), 1, 'M samples/s');
  line('SQLite (RunRecorder, WAL; close and checkpoint counted)', rate(db));
  line('plain file, same bytes (page cache only)', rate(file));
  line('plain file, same bytes, fsync at the end', rate(synced));
  line('SQLite ÷ plain file (per repeat)', `${spread(db.map((s, i) => file[i] / s), 2)} (goal ≥ 0.5)`);
  line('SQLite ÷ plain file with fsync (per repeat)', `${spread(db.map((s, i) => synced[i] / s), 2)} (goal ≥ 0.5)`);
  line('database size ÷ raw bytes', `${(bytes / (samples * 8)).toFixed(3)} (goal ≤ 1.1)`);
}

function fitsPerSecond(): void {
  const n = 1000;
  const curves = Array.from({ length: 40 }, (_, seed) => {
    const r = new Rng(seed + 1);
    return Array.from({ length: n + 1 }, (_, k) => 1e-5 + 9e-5 * yNu(k / n, 2) + 9e-7 * r.normal());
  });
  process.stdout.write(`\nAnalysis (${curves.length} noisy ${n}-pulse curves; warm-up, then ${REPEATS} repeats):\n`);
  const fits = () => {
    const t = performance.now();
    for (const c of curves) fitLsq3(c);
    return curves.length / ((performance.now() - t) / 1000);
  };
  const card = () => {
    const t = performance.now();
    analyseLtpLtd({ cycles: curves.slice(0, 10).map((c) => ({ ltp: c, ltd: [...c].reverse() })), unit: 'S', conditions: {} });
    return (performance.now() - t) / 1000;
  };
  fits();
  card();
  const f: number[] = [];
  const c: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    f.push(fits());
    c.push(card());
  }
  line('nl.lsq3 fits', spread(f, 1, 'fits/s'));
  line('whole LTP/LTD card, 10 cycles × 2 × 1000 pulses', spread(c, 3, 's'));
}

function enduranceMemory(): void {
  if (!(globalThis as { gc?: unknown }).gc) process.stdout.write('\n(run with node --expose-gc for retained-memory figures)');
  process.stdout.write('\nEndurance card, streamed (one HRS and one LRS read per cycle, fed in chunks of 10⁴):\n');
  // Timing runs without forced GC; memory runs collect garbage before each sample so the
  // figure is what the accumulator retains, not garbage awaiting collection.
  const gc = (globalThis as { gc?: () => void }).gc;
  const run = (cycles: number, keepWindow: boolean, measureMemory: boolean) => {
    gc?.();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().external;
    let peak = before;
    const acc = new EnduranceAccumulator({ keepWindow });
    const chunk = 10_000;
    const h = new Float64Array(chunk);
    const l = new Float64Array(chunk);
    const r = new Rng(7);
    const t0 = performance.now();
    for (let done = 0; done < cycles; done += chunk) {
      for (let i = 0; i < chunk; i++) {
        h[i] = 1e-6 * (1 + 0.05 * r.normal());
        l[i] = 1e-4 * (1 + 0.02 * r.normal()) * (done + i < cycles * 0.9 ? 1 : 0.01);
      }
      acc.pushMany(h, l);
      if (measureMemory) {
        gc?.();
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.external);
      }
    }
    acc.metrics({});
    return { s: (performance.now() - t0) / 1000, growthMB: (peak - before) / 1e6 };
  };
  for (const [cycles, keep] of [
    [100_000, false],
    [1_000_000, false],
    [1_000_000, true],
  ] as const) {
    // Memory first: array-buffer memory freed by a GC is returned lazily, which would hide
    // growth measured right after another run.
    const growthMB = run(cycles, keep, true).growthMB;
    const r = { s: run(cycles, keep, false).s, growthMB };
    line(`${cycles.toExponential(0)} cycles, W per cycle ${keep ? 'kept' : 'not kept'}`, `${r.s.toFixed(2)} s, peak memory growth ${r.growthMB.toFixed(1)} MB${keep ? ` (output array ${(cycles * 8e-6).toFixed(0)}–${(cycles * 16e-6).toFixed(0)} MB)` : ''}`);
  }
}

/** One section in its own process (bench/section-child.ts), its lines passed through. */
function inFreshProcess(section: string): void {
  // ../bench/ from here and from dist/ (the bench also runs built, one folder deep).
  const child = fileURLToPath(new URL('../bench/section-child.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, section], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${section} (own process) failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
}

/** Each section runs even when one before it failed; the command fails at the end if any did. */
export async function runBenchmarks(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-bench-'));
  const failed: string[] = [];
  const sections: [string, () => unknown][] = [
    ['start-up', () => startupFigures(line)],
    ['LTP/LTD end to end', () => ltpLtdPulsesPerSecond(dir)],
    ['endurance end to end', () => enduranceCyclesPerSecond(dir)],
    ['storage', () => storageThroughput(dir)],
    ['plot reads', () => plotReadFigures(dir, line)],
    ['analysis', () => fitsPerSecond()],
    ['endurance accumulator', () => enduranceMemory()],
    ['whole-process memory', () => rssFigures(line)],
    ['protocol overheads', () => inFreshProcess('protocol-overheads')],
    ['train rates', () => inFreshProcess('train-rates')],
    ['UI', () => uiBenchmarks()],
  ];
  try {
    for (const [name, run] of sections) {
      try {
        await run();
      } catch (e) {
        failed.push(name);
        process.stdout.write(`  ${name}: FAILED — ${(e as Error).message}\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed.length) throw new Error(`benchmark sections failed: ${failed.join(', ')}`);
}
