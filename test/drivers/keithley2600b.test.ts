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
