import { describe, expect, it } from 'vitest';
import { createDriver, openTransport } from '../../drivers/connect.ts';
import type { SourceMeter } from '../../drivers/instruments/roles.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { SimKeithley2600B } from '../../drivers/sim/keithley2600b.ts';
import { type Station, simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

describe('the simulated 2602B’s Lua subset', () => {
  it('runs assignments, calls, arithmetic and a loaded script; print shows numbers as TSP does', () => {
    const s = new SimKeithley2600B();
    s.attach(new SimBench());
    expect(s.handleMessage('print(localnode.linefreq, 2 * 3 - 1, "text", true, nil)')).toBe('5.00000e+01\t5.00000e+00\ttext\ttrue\tnil');
    for (const line of ['loadscript Setup', 'smub.source.levelv = -0.25 * 2', 'smub.source.limiti = 1e-3', 'endscript']) expect(s.handleMessage(line)).toBeNull();
    expect(s.handleMessage('print(smub.source.levelv)')).toBe('0.00000e+00'); // loaded, not yet run
    s.handleMessage('Setup()');
    expect(s.handleMessage('print(smub.source.levelv, smub.source.limiti)')).toBe('-5.00000e-01\t1.00000e-03');
    expect(s.handleMessage('print(smua.source.levelv)')).toBe('0.00000e+00');
  });

  it('puts syntax and runtime errors in errorqueue with TSP’s codes; every result of a call in last position is printed', () => {
    const s = new SimKeithley2600B();
    s.attach(new SimBench());
    s.handleMessage('smua.source.levelv = = 1');
    s.handleMessage('smua.source.levl = 1');
    s.handleMessage('smua.source.levelv = 500');
    expect(s.handleMessage('print(errorqueue.count)')).toBe('3.00000e+00');
    expect(s.handleMessage('print(errorqueue.next())')).toMatch(/^-2\.85000e\+02\tTSP Syntax error at line 1: unexpected symbol near '='\t/);
    expect(s.handleMessage('print(errorqueue.next())')).toMatch(/^-2\.86000e\+02\tTSP Runtime error at line 1: smua\.source\.levl does not exist\t/);
    expect(s.handleMessage('print(errorqueue.next())')).toMatch(/^-2\.86000e\+02\t.*smua\.source\.levelv 500 outside -202\.\.202/);
    expect(s.handleMessage('print(errorqueue.next())')).toBe('0.00000e+00\tQueue Is Empty\t0.00000e+00\t0.00000e+00');
    expect(s.pendingErrors).toEqual([]);
  });

  it('the driver reads a TSP error back by its own text', async () => {
    const sim = new SimBench({ smuModel: 'keithley2600b' });
    const smu = createDriver('keithley2600b', await openTransport('SIM::keithley2600b', { sim })) as SourceMeter;
    await smu.identify();
    sim.smu2600.handleMessage('smua.trigger.initiate()'); // no list, output off
    expect(await smu.errorQueue!()).toEqual([expect.stringMatching(/^-286,"TSP Runtime error at line 1: smua\.trigger\.initiate: output is off"$/)]);
  });
});

describe('Keithley 2600B timer delay lists', () => {
  it('plays each segment as one point of its own length: 1 ms pulses, 1.2 ms reads and an 18 ms rest in one sweep, timed as programmed', async () => {
    const sim = new SimBench({ smuModel: 'keithley2600b' });
    const smu = createDriver('keithley2600b', await openTransport('SIM::keithley2600b', { sim })) as SourceMeter;
    await smu.identify();
    const read = { levelV: 0.1, durationS: 1e-3, measure: true };
    const t0 = sim.nowS();
    const r = await smu.runTrain({ prologue: [read], unit: [{ levelV: 2, durationS: 1e-3 }, read, { levelV: 0.1, durationS: 17.8e-3 }], repeat: 100, limitA: 1e-3, nplc: 0.01 });
    expect(r.currentA.length).toBe(101);
    expect(sim.smu2600.received.filter((m) => m === 'smua.trigger.initiate()').length).toBe(1);
    const list = sim.smu2600.received.find((m) => m.startsWith('trigger.timer[1].delaylist'))!;
    expect(list.split(',').length).toBe(1 + 3 * 100 - 1);
    // On the instrument clock: the first pulse's read 2.2 ms (pulse + read) after the prologue's, then one pulse interval (1 + 1.2 + 17.8 = 20 ms) apart.
    expect(r.timeS[1]).toBeCloseTo(2.2e-3, 9);
    for (let k = 2; k < r.timeS.length; k++) expect(r.timeS[k] - r.timeS[k - 1]).toBeCloseTo(20e-3, 9);
    // The whole train took what it was programmed to (the last rest ends with the sweep's idle level).
    expect(sim.nowS() - t0).toBeGreaterThan(1.2e-3 + 100 * 2.2e-3);
    expect(sim.smu2600.pendingErrors).toEqual([]);
  });

  it('refuses a point shorter than its read aperture, before anything is sent', async () => {
    const sim = new SimBench({ smuModel: 'keithley2600b' });
    const smu = createDriver('keithley2600b', await openTransport('SIM::keithley2600b', { sim })) as SourceMeter;
    await smu.identify();
    const from = sim.smu2600.received.length;
    const read = { levelV: 0.1, durationS: 1e-3, measure: true };
    await expect(smu.runTrain({ prologue: [], unit: [{ levelV: 2, durationS: 1e-3 }, read], repeat: 2, limitA: 1e-3, nplc: 0.1 })).rejects.toThrow(/segment 1 lasts 1\.00 ms .*shorter than one list point \(2\.06 ms at this NPLC/);
    expect(sim.smu2600.received.slice(from)).toEqual([]);
  });
});

describe('Keithley 2600B on channel b', () => {
  it('a station wiring smub runs LTP/LTD on smub alone; smua is never touched', async () => {
    const base = simulatedStation();
    const station: Station = { ...base, instruments: base.instruments.map((i) => (i.id === base.wiring.sourceMeter ? { ...i, model: 'keithley2600b', resource: 'SIM::keithley2600b', smuChannel: 'b' } : i)) };
    const sim = new SimBench(simBenchConfig(station));
    expect(sim.smu2600.wired).toBe('smub');
    const r = await openApp().runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2, nplc: 0.01, potentiationWidthS: 0.8e-3, depressionWidthS: 0.8e-3 }, station, device: 'B1', sim });
    expect(r.outcome.status, r.outcome.reason).toBe('completed');
    expect(sim.smu2600.received.some((m) => m.includes('smua'))).toBe(false);
    expect(sim.smu2600.received.filter((m) => m === 'smub.trigger.initiate()').length).toBeGreaterThan(4);
    expect(sim.smu2600.smub.output).toBe(0);
    expect(r.outcome.instruments[0].settings).toMatchObject({ channel: 'smub', line_frequency_Hz: 50 });
    const ltp = r.outcome.metrics.find((m) => m.id === 'dr.ratio' && m.qualifier === 'ltp');
    expect(ltp?.status === 'value' && ltp.value).toBeGreaterThan(1.5);
  });

  it('a one-channel 2601B refuses smub at identification', async () => {
    const sim = new SimBench({ smuModel: 'keithley2600b' });
    const t = await openTransport('SIM::keithley2600b', { sim });
    const smu = createDriver('keithley2600b', { ...t, query: async (q: string) => (q === '*IDN?' ? 'Keithley Instruments Inc., Model 2601B, 1234, 3.2.2' : t.query(q)), write: (m: string) => t.write(m), close: () => t.close(), resource: t.resource } as typeof t, { smuChannel: 'b' }) as SourceMeter;
    await expect(smu.identify()).rejects.toThrow(/Model 2601B, 1234, 3\.2\.2" has one channel; smub does not exist/);
  });
});
