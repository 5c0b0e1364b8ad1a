import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { nlLabelFromA } from '../../analysis/exp-model.ts';
import { createDriver, openTransport } from '../../drivers/connect.ts';
import type { SourceMeter } from '../../drivers/instruments/roles.ts';
import { compilePoints } from '../../drivers/instruments/smu/point-list.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { parseStation, type Station, simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');
const run = promisify(execFile);

type Family = 'keithley2400' | 'keysight-b2900' | 'keithley2600b';
const FAMILIES: Family[] = ['keithley2400', 'keysight-b2900', 'keithley2600b'];

/** What differs per family in these tests: its *IDN?, how it starts a sweep, its safe-off, how a client asks the mains frequency and the error queue. */
const FAMILY: Record<Family, { idn: RegExp; sweepsPerTrain: number; start: string; safeOff: string[]; lfrQuery: string; lfr: string; errQuery: string; noError: string }> = {
  // A 100-pulse LTP/LTD train of LIST_FRIENDLY: 3 + 100 × 50 equal points on the 2400 and B2900 (≤ 2500 per sweep); 301 points of their own lengths on the 2600B.
  keithley2400: { sweepsPerTrain: 3, idn: /^KEITHLEY INSTRUMENTS INC\.,MODEL 2400,NPSIM/, start: ':INIT', safeOff: [':ABOR', ':SOUR:VOLT:MODE FIX', ':SOUR:VOLT 0', ':OUTP OFF'], lfrQuery: ':SYST:LFR?', lfr: '50', errQuery: 'SYST:ERR?', noError: '0,"No error"' },
  'keysight-b2900': { sweepsPerTrain: 3, idn: /^Keysight Technologies,B2902A,NPSIM/, start: ':INIT (@1)', safeOff: [':ABOR (@1)', ':SOUR1:VOLT:MODE FIX', ':SOUR1:VOLT 0', ':OUTP1 OFF'], lfrQuery: ':SYST:LFR?', lfr: '50', errQuery: 'SYST:ERR?', noError: '+0,"No error"' },
  keithley2600b: { sweepsPerTrain: 1, idn: /^Keithley Instruments Inc\., Model 2602B, NPSIM/, start: 'smua.trigger.initiate()', safeOff: ['smua.abort()', 'smua.source.levelv = 0', 'smua.source.output = smua.OUTPUT_OFF'], lfrQuery: 'print(localnode.linefreq)', lfr: '5.00000e+01', errQuery: 'print(errorqueue.count)', noError: '0.00000e+00' },
};

function value(ms: Metric[], id: string, qualifier?: string): number {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier && x.convention !== 'magnitude');
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m.value;
}

function stationWith(model: Family, resource = `SIM::${model}`): Station {
  const s = simulatedStation();
  return { ...s, instruments: s.instruments.map((i) => (i.id === s.wiring.sourceMeter ? { ...i, model, resource } : i)) };
}

/**
 * LTP/LTD timings a list-sweep SMU can play: every point integrates (NPLC 0.01 = 0.2 ms),
 * so the 1 ms default pulse (with the 2450's default NPLC 0.1) is refused; 0.8 ms pulses,
 * 1.2 ms reads and an 18 ms rest share a 0.4 ms point period.
 */
const LIST_FRIENDLY = { nplc: 0.01, potentiationWidthS: 0.8e-3, depressionWidthS: 0.8e-3 };

const simSmu = (sim: SimBench, model: Family) => (model === 'keithley2400' ? sim.smu2400 : model === 'keysight-b2900' ? sim.smuB2900 : sim.smu2600);

describe('compiling a train into equal list points', () => {
  it('makes each segment a whole number of points and keeps only the measuring segments’ last points', () => {
    // 1 ms pulse, then a read of 1 ms + 0.2 ms aperture: a 0.2 ms period, 5 + 6 points.
    const pp = compilePoints(
      { prologue: [{ levelV: 0.1, durationS: 1e-3, measure: true }], unit: [{ levelV: 2, durationS: 1e-3 }, { levelV: 0.1, durationS: 1e-3, measure: true }], repeat: 3, limitA: 1e-3, nplc: 0.01 },
      0.2e-3,
      { minPeriodS: 0.2e-3, maxListPoints: 2500 },
      'test',
    );
    expect(pp.periodS).toBeCloseTo(0.2e-3, 12);
    expect(pp.unit.levelsV).toEqual([2, 2, 2, 2, 2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(pp.unit.keep).toEqual([10]);
    expect(pp.prologue.keep).toEqual([5]);
  });

  it('refuses, naming the segment, what no common period can represent', () => {
    const p = { prologue: [], unit: [{ levelV: 2, durationS: 0.1e-3 }, { levelV: 0.1, durationS: 1e-3, measure: true }], repeat: 1, limitA: 1e-3, nplc: 1 };
    expect(() => compilePoints(p, 0.02, { minPeriodS: 0.0202, maxListPoints: 2500 }, 'Keithley 2400 at X')).toThrow(/Keithley 2400 at X: segment 1 lasts 0\.100 ms .*shorter than one list point \(20\.2 ms at this NPLC: this SMU measures at every list point\); lower the NPLC/);
    const q = { prologue: [], unit: [{ levelV: 2, durationS: 1e-3 }, { levelV: 0.1, durationS: 1.37e-3, measure: true }], repeat: 1, limitA: 1e-3, nplc: 0.01 };
    expect(() => compilePoints(q, 0.2e-3, { minPeriodS: 0.4e-3, maxListPoints: 100 }, 'B')).toThrow(/no common point period/);
  });
});

/**
 * What each family is sent for one small train (a read, then 2 × (pulse + read), on a
 * 0.4 ms point grid at NPLC 0.01): the command forms of the 2400 manual's list-sweep
 * example and PyMeasure's buffer sequence, and of the B2900 timer-triggered list sweep
 * (ViPSA / QCoDeS forms), and of the 2600B loaded TSP script, then the poll, readout
 * and output off confirmed by query.
 */
const GOLDEN: Record<Family, string[]> = {
  // The TSP script follows the trigger-model forms of Tektronix's KE26XXB pulsed-sweep example; the simulator's Lua subset runs it.
  keithley2600b: ["loadscript NPTrain","smua.abort()","smua.source.func = smua.OUTPUT_DCVOLTS","smua.source.levelv = 0.1","smua.source.limiti = 0.001","smua.measure.nplc = 0.01","smua.measure.autorangei = smua.AUTORANGE_ON","smua.measure.delay = 0","smua.nvbuffer1.clear()","smua.nvbuffer2.clear()","smua.nvbuffer1.collecttimestamps = 1","smua.trigger.source.listv({0.1, 2, 0.1, 2, 0.1})","smua.trigger.source.limiti = 0.001","smua.trigger.source.action = smua.ENABLE","smua.trigger.measure.action = smua.ENABLE","smua.trigger.measure.iv(smua.nvbuffer1, smua.nvbuffer2)","smua.trigger.endpulse.action = smua.SOURCE_HOLD","smua.trigger.endsweep.action = smua.SOURCE_IDLE","smua.trigger.count = 5","smua.trigger.arm.stimulus = 0","trigger.timer[1].count = 4","trigger.timer[1].delaylist = {0.0008, 0.0004, 0.0008, 0.0004}","trigger.timer[1].passthrough = true","trigger.timer[1].stimulus = smua.trigger.ARMED_EVENT_ID","trigger.timer[2].count = 1","trigger.timer[2].delaylist = {0.00054, 0.00014, 0.00054, 0.00014, 0.00054}","trigger.timer[2].passthrough = false","trigger.timer[2].stimulus = trigger.timer[1].EVENT_ID","smua.trigger.source.stimulus = trigger.timer[1].EVENT_ID","smua.trigger.measure.stimulus = trigger.timer[2].EVENT_ID","endscript","NPTrain()","print(errorqueue.count)","smua.source.output = smua.OUTPUT_ON","print(smua.source.output)","smua.trigger.initiate()","print(smua.nvbuffer1.n)","printbuffer(1, 5, smua.nvbuffer1.readings, smua.nvbuffer2.readings, smua.nvbuffer1.timestamps)","smua.source.output = smua.OUTPUT_OFF","print(smua.source.output)","print(errorqueue.count)"],
  keithley2400: [":ABOR", ":SOUR:FUNC VOLT", ":SOUR:VOLT:RANG 2", ":SOUR:VOLT 0.1", ":SOUR:VOLT:MODE LIST", ":SOUR:LIST:VOLT 0.1,0.1,2,0.1,0.1,2,0.1,0.1", ":SOUR:DEL 0.0002", ":SENS:FUNC \"CURR\"", ":SENS:CURR:PROT 0.001", ":SENS:CURR:NPLC 0.01", ":SENS:CURR:RANG:AUTO ON", ":FORM:ELEM VOLT,CURR,TIME", ":ARM:COUN 1", ":TRIG:COUN 8", "*SRE 1", ":STAT:MEAS:ENAB 512", ":TRAC:FEED:CONT NEV", ":TRAC:CLE", ":TRAC:POIN 8", ":TRAC:FEED SENS", ":TRAC:FEED:CONT NEXT", ":SYST:ERR?", ":OUTP ON", ":OUTP?", ":INIT", "*STB?", ":TRAC:POIN:ACT?", ":TRAC:DATA?", ":STAT:MEAS?", ":OUTP OFF", ":OUTP?", ":SYST:ERR?"],
  'keysight-b2900': [":ABOR (@1)", ":SOUR1:FUNC:MODE VOLT", ":SOUR1:VOLT:RANG 2", ":SOUR1:VOLT 0.1", ":SOUR1:VOLT:MODE LIST", ":SOUR1:LIST:VOLT 0.1,0.1,2,0.1,0.1,2,0.1,0.1", ":SENS1:FUNC \"CURR\"", ":SENS1:CURR:PROT 0.001", ":SENS1:CURR:NPLC 0.01", ":SENS1:CURR:RANG:AUTO ON", ":TRIG1:SOUR TIM", ":TRIG1:TIM 0.0004", ":TRIG1:COUN 8", ":TRIG1:TRAN:DEL 0", ":TRIG1:ACQ:DEL 0.00015", ":FORM:ELEM:SENS VOLT,CURR,TIME", ":TRAC1:FEED:CONT NEV", ":TRAC1:CLE", ":TRAC1:POIN 8", ":TRAC1:FEED SENS", ":TRAC1:FEED:CONT NEXT", ":SYST:ERR?", ":OUTP1 ON", ":OUTP1?", ":INIT (@1)", ":STAT:MEAS:COND?", ":TRAC1:POIN:ACT?", ":FETC:ARR:CURR? (@1)", ":FETC:ARR:VOLT? (@1)", ":FETC:ARR:TIME? (@1)", ":OUTP1 OFF", ":OUTP1?", ":SYST:ERR?"],
};

describe.each(FAMILIES)('%s golden command sequence', (model) => {
  it('configures one list sweep, starts it once, reads it and switches the output off', async () => {
    const sim = new SimBench({ smuModel: model });
    const smu = createDriver(model, await openTransport(`SIM::${model}`, { sim })) as SourceMeter;
    await smu.identify();
    await smu.reset();
    const s = simSmu(sim, model);
    const from = s.received.length;
    const read = { levelV: 0.1, durationS: 0.6e-3, measure: true };
    const r = await smu.runTrain({ prologue: [read], unit: [{ levelV: 2, durationS: 0.4e-3 }, read], repeat: 2, limitA: 1e-3, nplc: 0.01 });
    expect(s.received.slice(from)).toEqual(GOLDEN[model]);
    expect(r.currentA.length).toBe(3);
    expect(r.timeS).toEqual([0, expect.closeTo(1.2e-3, 9), expect.closeTo(2.4e-3, 9)]);
  });
});

describe('Keithley 2400 list length', () => {
  it('writes a long list 100 values per command (:SOUR:LIST:VOLT, then :APPend), as the manual allows', async () => {
    const sim = new SimBench({ smuModel: 'keithley2400' });
    const smu = createDriver('keithley2400', await openTransport('SIM::keithley2400', { sim })) as SourceMeter;
    await smu.identify();
    const read = { levelV: 0.1, durationS: 0.2e-3, measure: true };
    const r = await smu.runTrain({ prologue: [], unit: [read], repeat: 250, limitA: 1e-3, nplc: 0.01 });
    expect(r.currentA.length).toBe(250);
    const lists = sim.smu2400.received.filter((m) => m.startsWith(':SOUR:LIST:VOLT'));
    expect(lists.map((m) => m.split(' ')[0])).toEqual([':SOUR:LIST:VOLT', ':SOUR:LIST:VOLT:APP', ':SOUR:LIST:VOLT:APP']);
    expect(lists.map((m) => m.split(' ')[1].split(',').length)).toEqual([100, 100, 50]);
    expect(sim.smu2400.pendingErrors).toEqual([]);
  });
});

describe.each(FAMILIES)('%s as the source-meter', (model) => {
  it('runs LTP/LTD with the family’s own list sweep and recovers the same NL and DR as the 2450 on the same device', async () => {
    const station = stationWith(model);
    const sim = new SimBench(simBenchConfig(station));
    const app = openApp();
    // Every list point integrates, so pulses need a short aperture and lengths on one grid (see LIST_FRIENDLY).
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 3, ...LIST_FRIENDLY }, station, device: 'S1', sim });
    expect(r.outcome.status, r.outcome.reason).toBe('completed');
    const smu = simSmu(sim, model);
    expect(smu.pendingErrors).toEqual([]);
    expect(sim.smu.received).toEqual([]); // the bench's 2450 was never used
    expect(smu.isOutputOn).toBe(false);
    expect(r.outcome.instruments[0].idn).toMatch(FAMILY[model].idn);
    // The same device, the same parameters, on the 2450's trigger model.
    const ref = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 3, ...LIST_FRIENDLY }, station: simulatedStation(), device: 'S0', sim: new SimBench(simBenchConfig(simulatedStation())) });
    for (const q of ['ltp', 'ltd']) {
      expect(Math.abs(value(r.outcome.metrics, 'nl.lsq3', q) - value(ref.outcome.metrics, 'nl.lsq3', q)), `NL ${q}`).toBeLessThan(0.05);
      expect(Math.abs(value(r.outcome.metrics, 'dr.ratio', q) / value(ref.outcome.metrics, 'dr.ratio', q) - 1), `DR ${q}`).toBeLessThan(0.01);
    }
    // …and a potentiating curve of the device's sign: NL of LTP positive, LTD negative.
    expect(value(r.outcome.metrics, 'nl.lsq3', 'ltp')).toBeGreaterThan(0.5);
    expect(value(r.outcome.metrics, 'nl.lsq3', 'ltd')).toBeLessThan(-0.5);
    // One start per list sweep of at most 2500 points, cut between units: the read-noise reads, then each train.
    const starts = smu.received.filter((m) => m === FAMILY[model].start).length;
    expect(starts).toBe(1 + 3 * 2 * FAMILY[model].sweepsPerTrain);
  });

  it('a PyVISA client talks to the simulated SMU over TCP', async () => {
    const sim = new SimBench({ smuModel: model });
    const server = await serveInstrument(sim.instrument(model), 0);
    try {
      const f = FAMILY[model];
      const script = `import sys, pyvisa\nrm = pyvisa.ResourceManager('@py')\ni = rm.open_resource(sys.argv[1], read_termination='\\n', write_termination='\\n', timeout=3000)\nfor q in sys.argv[2:]: print(i.query(q).strip())`;
      const { stdout } = await run('/usr/bin/python3', ['-c', script, `TCPIP0::127.0.0.1::${server.port}::SOCKET`, '*IDN?', f.lfrQuery, f.errQuery], { timeout: 30_000 });
      const [idn, lfr, err] = stdout.trim().split('\n');
      expect(idn).toMatch(f.idn);
      expect(lfr).toBe(f.lfr);
      expect(err).toBe(f.noError);
    } finally {
      await server.close();
    }
  });

  it('over loopback TCP with the simulator paced at real time: an abort mid-train keeps what was measured and leaves the output off', async () => {
    const sim = new SimBench({ smuModel: model, realTimeFactor: 1 });
    const server = await serveInstrument(sim.instrument(model), 0);
    const smu = createDriver(model, await openTransport(`TCPIP0::127.0.0.1::${server.port}::SOCKET`, { model })) as SourceMeter;
    try {
      await smu.identify();
      await smu.reset();
      const ac = new AbortController();
      const read = { levelV: 0.1, durationS: 1e-3, measure: true };
      const p = smu.runTrain({ prologue: [read], unit: [{ levelV: 2, durationS: 0.8e-3 }, read], repeat: 400, limitA: 1e-3, nplc: 0.01 }, ac.signal);
      setTimeout(() => ac.abort(), 150);
      const e = (await p.catch((x: unknown) => x)) as { message: string; partial?: { currentA: number[] } };
      expect(e.message).toMatch(/aborted/);
      expect(e.partial!.currentA.length).toBeGreaterThan(10);
      expect(e.partial!.currentA.length).toBeLessThan(401);
      expect(simSmu(sim, model).isOutputOn).toBe(false);
      expect(simSmu(sim, model).isTriggerRunning).toBe(false);
    } finally {
      await smu.close();
      await server.close();
    }
  });

  it('refuses a generator-fired train before any source command', async () => {
    const station = stationWith(model);
    const sim = new SimBench(simBenchConfig(station));
    const app = openApp();
    await expect(app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1, pulseSource: 'generator' }, station, device: 'S2', sim })).rejects.toThrow(/plays pulses from the SMU only/);
    // Nothing but the safe-off the runner always sends (no source level, no sweep).
    expect(simSmu(sim, model).received.filter((m) => !/\?$|^\*|SYST|^print\(|reset\(\)$/.test(m))).toEqual(FAMILY[model].safeOff);
  });
});

describe('a station naming a 2400 reaches it over TCP', () => {
  it('LTP/LTD over loopback TCP against `sim` serving the 2400', async () => {
    const sim = new SimBench({ smuModel: 'keithley2400' });
    const server = await serveInstrument(sim.instrument('keithley2400'), 0);
    try {
      const station = parseStation({ ...stationWith('keithley2400', `TCPIP0::127.0.0.1::${server.port}::SOCKET`), simulation: undefined, instruments: [{ id: 'smu', model: 'keithley2400', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }], wiring: { sourceMeter: 'smu' } }, 'test');
      const r = await openApp().runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2, ...LIST_FRIENDLY }, station, device: 'T1' });
      expect(r.outcome.status, r.outcome.reason).toBe('completed');
      expect(value(r.outcome.metrics, 'dr.ratio', 'ltp')).toBeGreaterThan(1.5);
    } finally {
      await server.close();
    }
  });
});
