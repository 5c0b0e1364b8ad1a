// Protocol overheads on the paced simulator (trains play in wall-clock time): how much
// host time each STDP pair and each polarization angle adds to what the instruments are
// programmed to take. A warm-up run first, then repeats; min / median / max.

import { NeuroProbeApp } from '../app/service.ts';
import { SimBench } from '../drivers/sim/bench.ts';
import { simBenchConfig, simulatedStation } from '../protocols/station.ts';
import { getProtocol } from '../protocols/registry.ts';
import { validateParams } from '../protocols/params.ts';
import { line, spread } from './report.ts';



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
  line('STDP: host time per pair beyond its waveform', `${spread(perPair, 1)} ms (goal: < 50 ms)`);

  const pol = { angleStartDeg: 0, angleStopDeg: 180, angleStepDeg: 5 };
  await pacedRun('polarization', { ...pol, angleStepDeg: 45 });
  const ratios: number[] = [];
  let programmed = 0;
  for (let i = 0; i < 3; i++) {
    const r = await pacedRun('polarization', pol);
    programmed = r.programmedS;
    ratios.push(r.wallS / r.programmedS);
  }
  line('37-angle polarization sweep: wall ÷ programmed waits', `${spread(ratios, 2)} (programmed ${programmed.toFixed(2)} s; goal ≤ 1.2)`);
}

/**
 * One run on the paced simulator with the SMU over loopback TCP: the whole run's wall time,
 * and the stretch from the first :INIT to the last readout, in wall and in the simulator's
 * virtual time (which, paced at real time, is exactly what the instrument was programmed
 * to play in that stretch). The message log is the bench's instrumentation, not the driver's.
 */
async function tcpPacedRun(protocolId: string, params: Record<string, unknown>): Promise<{ wallS: number; playWallS: number; playVirtualS: number }> {
  const { serveInstrument } = await import('../drivers/sim/tcp-server.ts');
  const { parseStation } = await import('../protocols/station.ts');
  const sim = new SimBench({ seed: 1, realTimeFactor: 1 });
  const log: { ms: number; msg: string; virtualS: number }[] = [];
  const handle = sim.smu.handleMessage.bind(sim.smu);
  sim.smu.handleMessage = (m: string) => {
    log.push({ ms: performance.now(), msg: m, virtualS: sim.clock.nowS });
    return handle(m);
  };
  const server = await serveInstrument(sim.smu, 0);
  const station = parseStation(
    { ...simulatedStation(), instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }], wiring: { sourceMeter: 'smu' }, simulation: undefined },
    'bench',
  );
  const app = new NeuroProbeApp(':memory:');
  try {
    const t0 = performance.now();
    const r = await app.runProtocol({ protocolId, params, station, device: 'RATE' });
    const wallS = (performance.now() - t0) / 1000;
    if (r.outcome.status !== 'completed') throw new Error(`${protocolId} rate run ${r.outcome.status}: ${r.outcome.reason}`);
    const first = log.find((e) => e.msg === ':INIT');
    const last = log.findLast((e) => e.msg.startsWith(':TRAC:DATA?'));
    if (!first || !last) throw new Error(`${protocolId} rate run: no train in the message log`);
    return { wallS, playWallS: (last.ms - first.ms) / 1000, playVirtualS: last.virtualS - first.virtualS };
  } finally {
    app.close();
    await server.close();
  }
}

/** Trains at the instrument's rate: achieved ÷ programmed pulse rate on the paced simulator over TCP, against a host-timed per-pulse loop. */
export async function trainRates(): Promise<void> {
  process.stdout.write('\nTrains at the instrument’s rate (simulator paced at real time, SMU over loopback TCP; warm-up, then 5 repeats):\n');
  const ltp = { cycles: 5, pulsesPerTrain: 100, pulseIntervalS: 2.2e-3, readRepeats: 0, nplc: 0.01 };
  const endurance = { cycles: 1000, cyclesPerTrain: 100, setWidthS: 1e-3, resetWidthS: 1e-3, nplc: 0.01, stopAfterFailure: 'no' };
  const enduranceProgrammedS = getProtocol('endurance').estimateDurationS!(validateParams(getProtocol('endurance').params, endurance, 'endurance'), 50);
  await tcpPacedRun('ltp-ltd', ltp);
  await tcpPacedRun('endurance', { ...endurance, cycles: 200 });
  const ltpWhole: number[] = [];
  const ltpPlay: number[] = [];
  const endWhole: number[] = [];
  const endPlay: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = await tcpPacedRun('ltp-ltd', ltp);
    ltpWhole.push(1000 / a.wallS / (1 / 2.2e-3));
    ltpPlay.push(a.playVirtualS / a.playWallS);
    const b = await tcpPacedRun('endurance', endurance);
    endWhole.push(enduranceProgrammedS / b.wallS);
    endPlay.push(b.playVirtualS / b.playWallS);
  }
  const r3 = (xs: number[]) => spread(xs, 3);
  line('LTP/LTD 1000 pulses at 2.2 ms, whole run', `${r3(ltpWhole)} (goal ≥ 0.97; connect, identify, analysis and storage included)`);
  line('LTP/LTD, first train start to last readout', `${r3(ltpPlay)} (goal ≥ 0.97; reads included as programmed)`);
  line('endurance 1000 cycles in trains of 100, whole run', `${r3(endWhole)} (goal ≥ 0.97)`);
  line('endurance, first train start to last readout', `${r3(endPlay)} (goal ≥ 0.97)`);

  // What a host-timed loop does (PyMeasure style): level, level, :READ? per pulse, NODELAY on.
  const { serveInstrument } = await import('../drivers/sim/tcp-server.ts');
  const { TcpTransport } = await import('../drivers/transport/tcp.ts');
  const sim = new SimBench({ seed: 1, realTimeFactor: 1 });
  const server = await serveInstrument(sim.smu, 0);
  try {
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
    line('NeuroProbe trains: pulse width', 'the programmed trigger-model delay (instrument-timed; not a host latency, so not measured here)');
  } finally {
    await server.close();
  }
}
