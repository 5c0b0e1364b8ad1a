import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { simulatedDeviceReference } from '../../app/sim-reference.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { validateParams } from '../../protocols/params.ts';
import { STDP_PARAMS, dtList, pairSegments, spike } from '../../protocols/stdp.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDir } from '../helpers/temp.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { readChannel } from '../../db/reader.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function value(ms: Metric[], id: string): number {
  const m = ms.find((x) => x.id === id && !x.qualifier);
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m.value;
}

const defaults = validateParams(STDP_PARAMS, {}, 'stdp');

describe('STDP waveforms', () => {
  it('a lone spike stays below both thresholds; overlap pushes the difference past them, with the sign of Δt', () => {
    const peak = (dt: number) => pairSegments(defaults, dt).reduce((m, s) => (Math.abs(s.levelV) > Math.abs(m) ? s.levelV : m), 0);
    // Far apart: each spike alone, at most 0.7 V.
    expect(Math.abs(peak(0.05))).toBeCloseTo(0.7, 9);
    // Post 1 ms after pre: post's pulse on pre's tail → above +0.8 V (potentiation); the mirror → below −0.8 V.
    expect(peak(1e-3)).toBeGreaterThan(0.8);
    expect(peak(-1e-3)).toBeLessThan(-0.8);
    expect(dtList(defaults).slice(0, 4)).toEqual([1e-3, -1e-3, 2e-3, -2e-3]);
  });
});

describe('STDP protocol on the simulated bench', () => {
  it('the window emerges from spike overlap and matches the noise-free device within the stated tolerance', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'stdp' });
    const sim = new SimBench(simBenchConfig(station));
    const r = await app.runProtocol({ protocolId: 'stdp', params: {}, station, device: 'S1', sim });
    expect(r.outcome.status).toBe('completed');
    const ms = r.outcome.metrics;
    // Hebbian: potentiation for post after pre, depression for the reverse.
    const dt = readChannel(app.db, r.runId!, 'dt_s');
    expect(dt.length).toBe(1 + 16 * 2);
    expect(value(ms, 'stdp.a_plus')).toBeGreaterThan(0);
    expect(value(ms, 'stdp.a_minus')).toBeGreaterThan(0);
    // One train per pair plus the preset: instrument-timed, no host timing between the spikes.
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(17);
    // Truth: the same protocol on a noise-free copy of the device (read and step noise off).
    const ref = (await simulatedDeviceReference(station, 'S1', 'stdp', {})).noiseFreeMetrics;
    for (const [id, tol] of [['stdp.a_plus', 0.25], ['stdp.a_minus', 0.25], ['stdp.tau_plus', 0.35], ['stdp.tau_minus', 0.35]] as const) {
      expect(Math.abs(value(ms, id) / value(ref, id) - 1)).toBeLessThan(tol);
    }
  });

  it('pairs further apart than the tail reaches change nothing beyond read noise', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'stdp' });
    const sim = new SimBench(simBenchConfig(station));
    const r = await app.runProtocol({ protocolId: 'stdp', params: { dtMaxS: 0.04, dtPerSide: 2 }, station, device: 'S2', sim });
    const dts = readChannel(app.db, r.runId!, 'dt_s');
    const i = readChannel(app.db, r.runId!, 'i_read_A');
    const pair = readChannel(app.db, r.runId!, 'pair');
    // Pairs at ±20 ms and ±40 ms: the tails have decayed below the threshold margin.
    for (let k = 1; k < i.length; k += 2) {
      expect(pair[k]).toBe(pair[k + 1]);
      expect(Math.abs(dts[k])).toBeGreaterThanOrEqual(0.02);
      expect(Math.abs(i[k + 1] / i[k] - 1)).toBeLessThan(0.005);
    }
  });
});

describe('STDP with the pulse generator playing the spike difference (33500B arbitrary waveform)', () => {
  it('uploads each pair’s waveform as a float32 block and recovers the noise-free window', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'stdp' });
    const sim = new SimBench(simBenchConfig(station));
    const params = { player: 'generator', dtPerSide: 6, dtMaxS: 6e-3 };
    const r = await app.runProtocol({ protocolId: 'stdp', params, station, device: 'SG1', sim });
    expect(r.outcome.status).toBe('completed');
    const uploads = sim.generator.received.filter((m) => m.startsWith(':SOUR1:DATA:ARB NPARB, #<'));
    expect(uploads.length).toBe(12);
    // A 1 ms spike pair at Δt = 1 ms with a 12 ms tail, 100 kSa/s: 1 + 1400 + 1 points × 4 bytes.
    expect(uploads[0]).toBe(`:SOUR1:DATA:ARB NPARB, #<${String(4 * 1402).length + 2 + 4 * 1402} bytes>`);
    expect(sim.generator.pendingErrors).toEqual([]);
    const ref = (await simulatedDeviceReference(station, 'SG1', 'stdp', params)).noiseFreeMetrics;
    expect(value(r.outcome.metrics, 'stdp.a_plus')).toBeGreaterThan(0);
    for (const [id, tol] of [['stdp.a_minus', 0.25], ['stdp.tau_minus', 0.35]] as const) {
      expect(Math.abs(value(r.outcome.metrics, id) / value(ref, id) - 1)).toBeLessThan(tol);
    }
  });

  it('no generator, or one without arbitrary waveforms, is refused before any source command', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'stdp' });
    const noGen = { ...station, instruments: station.instruments.filter((i) => i.id !== 'awg'), wiring: { ...station.wiring, pulseGenerator: undefined, lightSource: undefined } };
    const sim = new SimBench(simBenchConfig(noGen));
    await expect(app.runProtocol({ protocolId: 'stdp', params: { player: 'generator' }, station: noGen, device: 'SG2', sim })).rejects.toThrow(/stdp needs a pulse generator on the device/);
    expect(sim.smu.received).toEqual([]);
    // An AFG31000 plays pulses but this driver gives it no arbitrary waveforms: refused after identification only.
    const afg = { ...station, instruments: station.instruments.map((i) => (i.id === 'awg' ? { ...i, model: 'tektronix-afg31000' as const, resource: 'SIM::tektronix-afg31000' } : i)) };
    const afgSim = new SimBench(simBenchConfig(afg));
    const r = app.runProtocol({ protocolId: 'stdp', params: { player: 'generator' }, station: afg, device: 'SG3', sim: afgSim });
    await expect(r).rejects.toThrow(/player = generator needs a pulse generator that plays arbitrary waveforms \(Tektronix AFG31000 does not\)/);
    // Identification, then only the safe state on the way out.
    expect(afgSim.smu.received).toEqual(['*IDN?', '*LANG?', ':SYST:LFR?', ':ABOR', ':SOUR:VOLT 0', ':OUTP OFF', ':OUTP?']);
    expect(afgSim.generator.received).toEqual(['*IDN?', 'OUTPut1:STATe OFF', 'OUTPut2:STATe OFF', 'OUTPut1:STATe?', 'OUTPut2:STATe?']);
  });
});

describe('STDP spike shapes from two-column files (as ArC takes them)', () => {
  const tempDir = useTempDir();

  it('a file with the built-in shape gives the built-in window; the shapes are stored with the run', async () => {
    const dir = tempDir();
    const p = validateParams(STDP_PARAMS, {}, 'stdp');
    // The built-in spike written out as ArC-style rows: a header, then time (s), voltage (V).
    const rows = ['# pre/post spike', 'time_s,voltage_V'];
    for (let t = 0; t <= 13e-3 + 1e-12; t += 1e-5) rows.push(`${t.toExponential(6)},${spike(p, t).toFixed(6)}`);
    writeFileSync(join(dir, 'spike.csv'), rows.join('\n') + '\n');
    const app = openApp();
    const station = simulatedStation({ protocol: 'stdp' });
    const file = join(dir, 'spike.csv');
    const a = await app.runProtocol({ protocolId: 'stdp', params: { preSpikeFile: file, postSpikeFile: file }, station, device: 'SF1', sim: new SimBench(simBenchConfig(station)) });
    const b = await app.runProtocol({ protocolId: 'stdp', params: {}, station, device: 'SF2', sim: new SimBench(simBenchConfig(station)) });
    expect(a.outcome.status).toBe('completed');
    expect(value(a.outcome.metrics, 'stdp.a_minus')).toBeCloseTo(value(b.outcome.metrics, 'stdp.a_minus'), 6);
    expect(a.outcome.metrics[0].conditions).toMatchObject({ pre_spike: 'file spike.csv', post_spike: 'file spike.csv' });
    const v = readChannel(app.db, a.runId!, 'spike_V');
    expect(v.length).toBe(2 * 201);
    expect(Math.max(...v)).toBeCloseTo(0.7, 6);
  });

  it('an unreadable spike file is refused before any instrument command, naming the row', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.csv'), 'time_s,voltage_V\n0,0\n1e-3,0.7\n0.5e-3,0.2\n');
    const app = openApp();
    const station = simulatedStation({ protocol: 'stdp' });
    const sim = new SimBench(simBenchConfig(station));
    await expect(app.runProtocol({ protocolId: 'stdp', params: { preSpikeFile: join(dir, 'bad.csv') }, station, device: 'SF3', sim })).rejects.toThrow(/preSpikeFile: .*bad\.csv row 4: time 0\.0005 s does not increase/);
    await expect(app.runProtocol({ protocolId: 'stdp', params: { postSpikeFile: join(dir, 'none.csv') }, station, device: 'SF3', sim })).rejects.toThrow(/postSpikeFile: cannot read .*none\.csv \(ENOENT\)/);
    expect(sim.smu.received).toEqual([]);
  });
});

describe('STDP with program-and-verify back to a reference conductance', () => {
  it('every pair starts within the tolerance of the G read after the preset', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'stdp' });
    const r = await app.runProtocol({ protocolId: 'stdp', params: { referenceTolerance: 0.03, dtPerSide: 4, dtMaxS: 4e-3 }, station, device: 'SR1', sim: new SimBench(simBenchConfig(station)) });
    expect(r.outcome.status).toBe('completed');
    const [pair, role, i, v] = ['pair', 'role', 'i_read_A', 'v_read_V'].map((c) => Array.from(readChannel(app.db, r.runId!, c)));
    const gRef = i[pair.indexOf(0)] / v[pair.indexOf(0)];
    const before = pair.flatMap((p, k) => (p >= 1 && role[k] === 0 ? [i[k] / v[k]] : []));
    expect(before.length).toBe(8);
    for (const g of before) expect(Math.abs(g / gRef - 1)).toBeLessThanOrEqual(0.03 + 0.002); // + read noise
    // The device was moved back: verify reads were taken (role 2), and the analysis ignored them.
    expect(role.filter((x) => x === 2).length).toBeGreaterThan(0);
    expect(r.outcome.metrics.find((m) => m.id === 'stdp.a_plus')!.conditions).toMatchObject({ pairs: 8 });
  });
});
