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
import { protocolOverheads, trainRates } from './protocols.ts';
import { startupFigures } from './startup.ts';
import { enduranceRssFigures } from './memory.ts';
import { plotReadFigures } from './plots.ts';

function line(name: string, value: string): void {
  process.stdout.write(`  ${name.padEnd(52)} ${value}\n`);
}

async function ltpLtdPulsesPerSecond(dir: string): Promise<void> {
  const params = { cycles: 20, pulsesPerTrain: 100 };
  const pulses = params.cycles * 2 * params.pulsesPerTrain;
  process.stdout.write(`LTP/LTD end to end (${pulses} pulses, stored to SQLite):\n`);

  const memApp = new NeuroProbeApp(join(dir, 'mem.db'));
  let t = performance.now();
  await memApp.runProtocol({ protocolId: 'ltp-ltd', params, station: simulatedStation(), device: 'B1' });
  const memS = (performance.now() - t) / 1000;
  memApp.close();
  line('in-memory simulator', `${(pulses / memS).toFixed(0)} pulses/s`);

  const sim = new SimBench({ seed: 1 });
  const server = await serveInstrument(sim.smu, 0);
  const station = parseStation(
    {
      ...simulatedStation(),
      instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }],
      wiring: { sourceMeter: 'smu' },
      simulation: undefined,
    },
    'bench',
  );
  const tcpApp = new NeuroProbeApp(join(dir, 'tcp.db'));
  t = performance.now();
  await tcpApp.runProtocol({ protocolId: 'ltp-ltd', params, station, device: 'B2' });
  const tcpS = (performance.now() - t) / 1000;
  tcpApp.close();
  await server.close();
  line('TCP simulator on loopback', `${(pulses / tcpS).toFixed(0)} pulses/s`);
  line('TCP / in-memory', `${(memS / tcpS).toFixed(2)}`);
}

async function enduranceCyclesPerSecond(dir: string): Promise<void> {
  const cycles = 100_000;
  const app = new NeuroProbeApp(join(dir, 'endurance.db'));
  const station = { ...simulatedStation(), simulation: { seed: 1, deviceIndex: 0, device: {}, faults: [] } };
  const t = performance.now();
  await app.runProtocol({ protocolId: 'endurance', params: { cycles, cyclesPerTrain: 10_000 }, station, device: 'B4' });
  const s = (performance.now() - t) / 1000;
  app.close();
  line(`endurance, ${cycles.toExponential(0)} SET/RESET cycles (2 reads each), stored`, `${(cycles / s).toFixed(0)} cycles/s (10⁶ cycles ≈ ${((1e6 / cycles) * s).toFixed(0)} s)`);
}

export function storageThroughput(dir: string): void {
  const channels = 6;
  const perChannel = 1_000_000;
  const batch = 10_000;
  const data = Array.from({ length: batch }, (_, i) => Math.sin(i) * 1e-5);
  process.stdout.write(`\nStorage (${channels} channels × ${perChannel} float64 samples, appended in batches of ${batch}):\n`);

  const db = openDatabase(join(dir, 'store.db'));
  const names = Array.from({ length: channels }, (_, i) => `c${i}`);
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
  let t = performance.now();
  for (let done = 0; done < perChannel; done += batch) rec.append(Object.fromEntries(names.map((n) => [n, data])));
  rec.finish('completed', 'bench', [], 'bench');
  const dbS = (performance.now() - t) / 1000;
  db.close();
  const samples = channels * perChannel;

  const plainFile = (name: string, sync: boolean): number => {
    const fd = openSync(join(dir, name), 'w');
    const t0 = performance.now();
    for (let done = 0; done < perChannel; done += batch) for (let c = 0; c < channels; c++) writeSync(fd, encodeFloat64LE(data));
    if (sync) fsyncSync(fd);
    closeSync(fd);
    return (performance.now() - t0) / 1000;
  };
  const fileS = plainFile('raw.bin', false);
  const fsyncS = plainFile('raw-synced.bin', true);

  line('SQLite (RunRecorder, WAL, chunked BLOBs)', `${(samples / dbS / 1e6).toFixed(2)} M samples/s`);
  line('plain file, same bytes (page cache only)', `${(samples / fileS / 1e6).toFixed(2)} M samples/s`);
  line('plain file, same bytes, fsync at the end', `${(samples / fsyncS / 1e6).toFixed(2)} M samples/s`);
  line('SQLite / plain file (goal ≥ 0.5)', `${(fileS / dbS).toFixed(2)}`);
  line('SQLite / plain file with fsync', `${(fsyncS / dbS).toFixed(2)}`);
  const dbBytes = statSync(join(dir, 'store.db')).size;
  line('database size / raw bytes', `${(dbBytes / (samples * 8)).toFixed(3)}`);
}

function fitsPerSecond(): void {
  const n = 1000;
  const curves = Array.from({ length: 40 }, (_, seed) => {
    const r = new Rng(seed + 1);
    return Array.from({ length: n + 1 }, (_, k) => 1e-5 + 9e-5 * yNu(k / n, 2) + 9e-7 * r.normal());
  });
  process.stdout.write(`\nAnalysis (${curves.length} noisy ${n}-pulse curves):\n`);
  let t = performance.now();
  for (const c of curves) fitLsq3(c);
  const lsqS = (performance.now() - t) / 1000;
  line('nl.lsq3 fits', `${(curves.length / lsqS).toFixed(1)} fits/s`);
  t = performance.now();
  analyseLtpLtd({ cycles: curves.slice(0, 10).map((c) => ({ ltp: c, ltd: [...c].reverse() })), unit: 'S', conditions: {} });
  line('whole LTP/LTD card, 10 cycles × 2 × 1000 pulses', `${((performance.now() - t) / 1000).toFixed(3)} s`);
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

export async function runBenchmarks(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-bench-'));
  try {
    startupFigures(line);
    await ltpLtdPulsesPerSecond(dir);
    await enduranceCyclesPerSecond(dir);
    storageThroughput(dir);
    plotReadFigures(dir, line);
    fitsPerSecond();
    enduranceMemory();
    enduranceRssFigures(line);
    await protocolOverheads();
    await trainRates();
    await uiBenchmarks();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
