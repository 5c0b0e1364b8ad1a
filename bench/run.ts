// `npm run bench`: performance figures, measured side by side in one run. Nothing here
// is asserted; the figures and ratios are printed for people to compare across changes.

import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NeuroProbeApp } from '../app/service.ts';
import { encodeFloat64LE } from '../db/blob.ts';
import { openDatabase } from '../db/database.ts';
import { RunRecorder } from '../db/recorder.ts';
import { SimBench } from '../drivers/sim/bench.ts';
import { serveInstrument } from '../drivers/sim/tcp-server.ts';
import { parseStation, simulatedStation } from '../protocols/station.ts';

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

function storageThroughput(dir: string): void {
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

export async function runBenchmarks(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-bench-'));
  try {
    await ltpLtdPulsesPerSecond(dir);
    storageThroughput(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
