// Protocol overheads on the paced simulator (trains play in wall-clock time): how much
// host time each STDP pair and each polarization angle adds to what the instruments are
// programmed to take. A warm-up run first, then repeats; min / median / max.

import { NeuroProbeApp } from '../app/service.ts';
import { SimBench } from '../drivers/sim/bench.ts';
import { simBenchConfig, simulatedStation } from '../protocols/station.ts';
import { getProtocol } from '../protocols/registry.ts';
import { validateParams } from '../protocols/params.ts';

function line(name: string, value: string): void {
  process.stdout.write(`  ${name.padEnd(52)} ${value}\n`);
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `min ${s[0].toFixed(1)} / median ${med.toFixed(1)} / max ${s[s.length - 1].toFixed(1)}`;
}

/** Wall time of one run on the in-process simulator paced at real time, s, and the programmed time from the protocol's own estimate. */
async function pacedRun(protocolId: string, params: Record<string, unknown>): Promise<{ wallS: number; programmedS: number; units: number }> {
  const station = simulatedStation({ protocol: protocolId });
  const sim = new SimBench({ ...simBenchConfig(station), realTimeFactor: 1 });
  const app = new NeuroProbeApp(':memory:');
  let units = 0;
  try {
    const t0 = performance.now();
    const r = await app.runProtocol({ protocolId, params, station, device: 'BENCH', sim, onEvent: (e) => void (e.type === 'progress' && (units = Math.max(units, e.done))) });
    const wallS = (performance.now() - t0) / 1000;
    if (r.outcome.status !== 'completed') throw new Error(`${protocolId} bench run ${r.outcome.status}: ${r.outcome.reason}`);
    const protocol = getProtocol(protocolId);
    const programmedS = protocol.estimateDurationS?.(validateParams(protocol.params, params, protocolId), 50) ?? NaN;
    return { wallS, programmedS, units };
  } finally {
    app.close();
  }
}

export async function protocolOverheads(): Promise<void> {
  process.stdout.write('\nProtocol overheads on the simulator paced at real time (warm-up, then 3 repeats):\n');
  const stdp = { dtPerSide: 4, dtMaxS: 4e-3, presetPulses: 0 };
  await pacedRun('stdp', stdp);
  const perPair: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await pacedRun('stdp', stdp);
    perPair.push((1000 * (r.wallS - r.programmedS)) / r.units);
  }
  line('STDP: host time per pair beyond its waveform', `${stats(perPair)} ms (goal: < 50 ms)`);

  const pol = { angleStartDeg: 0, angleStopDeg: 180, angleStepDeg: 5 };
  await pacedRun('polarization', { ...pol, angleStepDeg: 45 });
  const ratios: number[] = [];
  let programmed = 0;
  for (let i = 0; i < 3; i++) {
    const r = await pacedRun('polarization', pol);
    programmed = r.programmedS;
    ratios.push(r.wallS / r.programmedS);
  }
  const s = [...ratios].sort((a, b) => a - b);
  line('37-angle polarization sweep: wall ÷ programmed waits', `min ${s[0].toFixed(2)} / median ${s[1].toFixed(2)} / max ${s[2].toFixed(2)} (programmed ${programmed.toFixed(2)} s; goal ≤ 1.2)`);
}

/** Trains at the instrument's rate: achieved ÷ programmed pulse rate on the paced simulator over TCP, against a host-timed per-pulse loop. */
export async function trainRates(): Promise<void> {
  process.stdout.write('\nTrains at the instrument’s rate (simulator paced at real time, SMU over loopback TCP):\n');
  const { serveInstrument } = await import('../drivers/sim/tcp-server.ts');
  const { parseStation } = await import('../protocols/station.ts');
  const { TcpTransport } = await import('../drivers/transport/tcp.ts');
  const sim = new SimBench({ seed: 1, realTimeFactor: 1 });
  const server = await serveInstrument(sim.smu, 0);
  const base = simulatedStation();
  const station = parseStation(
    { ...base, instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }], wiring: { sourceMeter: 'smu' }, simulation: undefined },
    'bench',
  );
  try {
    const params = { cycles: 5, pulsesPerTrain: 100, pulseIntervalS: 2.2e-3, readRepeats: 0, nplc: 0.01 };
    const ratios: number[] = [];
    for (let i = 0; i < 4; i++) {
      const app = new NeuroProbeApp(':memory:');
      const t0 = performance.now();
      const r = await app.runProtocol({ protocolId: 'ltp-ltd', params, station, device: 'RATE' });
      const wallS = (performance.now() - t0) / 1000;
      app.close();
      if (r.outcome.status !== 'completed') throw new Error(r.outcome.reason);
      if (i > 0) ratios.push((1000 / wallS) / (1 / 2.2e-3)); // the first run is the warm-up
    }
    ratios.sort((a, b) => a - b);
    line('LTP/LTD, 1000 pulses at 2.2 ms: achieved ÷ programmed', `min ${ratios[0].toFixed(3)} / median ${ratios[1].toFixed(3)} / max ${ratios[2].toFixed(3)} (goal ≥ 0.97)`);

    // What a host-timed loop does (PyMeasure style): level, level, :READ? per pulse, NODELAY on.
    const t = await TcpTransport.connect('bench', { host: '127.0.0.1', port: server.port, timeoutMs: 5000 });
    for (const c of ['*RST', ':SOUR:FUNC VOLT', ':SOUR:VOLT:ILIM 1e-3', ':SENS:FUNC "CURR"', ':OUTP ON']) await t.write(c);
    const widthsMs: number[] = [];
    const n = 300;
    const t0 = performance.now();
    for (let k = 0; k < n; k++) {
      const a = performance.now();
      await t.write(':SOUR:VOLT 1.5');
      await t.write(':SOUR:VOLT 0.1');
      await t.query('*OPC?');
      widthsMs.push(performance.now() - a);
      await t.query(':READ?');
    }
    const loopS = (performance.now() - t0) / 1000;
    await t.write(':OUTP OFF');
    await t.close();
    widthsMs.sort((a, b) => a - b);
    line('host-timed per-pulse loop', `${(n / loopS).toFixed(0)} pulses/s; pulse width = host latency, min ${widthsMs[0].toFixed(2)} / median ${widthsMs[n >> 1].toFixed(2)} / max ${widthsMs[n - 1].toFixed(2)} ms (programmed: none)`);
  } finally {
    await server.close();
  }
}
