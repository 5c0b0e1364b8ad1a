import { describe, expect, it } from 'vitest';
import { writeEnergy } from '../../analysis/energy.ts';
import type { Metric, PresentMetric } from '../../analysis/metric.ts';
import { readChannel } from '../../db/reader.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function metric(ms: Metric[], id: string): PresentMetric {
  const m = ms.find((x) => x.id === id && !x.qualifier);
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m;
}

describe('energy protocol with waveform capture (InfiniiVision on the simulated bench)', () => {
  it('each captured pulse’s ∫V·(I − I_base) dt matches the model’s exact energy; waveforms are stored', async () => {
    const app = openApp();
    const station = simulatedStation();
    const sim = new SimBench(simBenchConfig(station));
    sim.deviceEnergyLog = [];
    const params = { pulses: 12, captureEvery: 3, widthS: 1e-3, intervalS: 5e-3 };
    const r = await app.runProtocol({ protocolId: 'energy', params, station, device: 'W1', sim });
    expect(r.outcome.status).toBe('completed');
    const runId = r.runId!;
    // Pulses 1, 4, 7, 10 were captured, 2000 points each, with the instrument's own WORD blocks.
    const wp = Array.from(readChannel(app.db, runId, 'wf_pulse'));
    expect([...new Set(wp)]).toEqual([1, 4, 7, 10]);
    expect(wp.length).toBe(4 * 2000);
    expect(sim.scope.received.filter((m) => m === ':WAV:DATA?').length).toBe(8);
    expect(sim.scope.received).toContain(':WAV:FORM WORD');
    // Truth per pulse from the device model: Σ V²·G·dt while the generator drove it, minus the read-bias current's share.
    const log = sim.deviceEnergyLog;
    const pulses: { start: number; energy: number; gStart: number; v: number }[] = [];
    for (const e of log) {
      const last = pulses[pulses.length - 1];
      if (last && e.t0 - (last.start + params.widthS) < 1e-9) last.energy += e.energyJ;
      else pulses.push({ start: e.t0, energy: e.energyJ, gStart: e.gStartS, v: e.levelV });
    }
    expect(pulses.length).toBe(12);
    const t = readChannel(app.db, runId, 'wf_t_s');
    const v = readChannel(app.db, runId, 'wf_v_V');
    const i = readChannel(app.db, runId, 'wf_i_A');
    for (const n of [1, 4, 7, 10]) {
      const idx = wp.flatMap((p, j) => (p === n ? [j] : []));
      const m = writeEnergy({ tS: idx.map((j) => t[j]), voltageV: idx.map((j) => v[j]), currentA: idx.map((j) => i[j]), pulse: [0, params.widthS], baseline: [t[idx[0]], -5e-5], terminal: 'device', conditions: {} });
      const truth = pulses[n - 1].energy - pulses[n - 1].v * pulses[n - 1].gStart * 0.1 * params.widthS;
      expect(m.status).toBe('value');
      // 8-bit samples of a 20–60 µA current on a 250 µA range: within 5 %.
      expect(Math.abs((m as PresentMetric).value / truth - 1)).toBeLessThan(0.05);
    }
    const w = metric(r.outcome.metrics, 'energy.write');
    expect(w.extra).toMatchObject({ pulses: 4 });
    // The cross-check: the estimate from G after the pulse is an upper bound for a potentiating pulse.
    expect(w.extra!.write_over_estimate).toBeLessThan(1);
    expect(w.extra!.write_over_estimate).toBeGreaterThan(0.7);
  });

  it('a station without a scope is told to use the plateau method, before any instrument command', async () => {
    const app = openApp();
    const s = simulatedStation();
    const noScope = { ...s, instruments: s.instruments.filter((x) => x.id !== 'scope'), wiring: { ...s.wiring, oscilloscope: undefined } };
    const sim = new SimBench(simBenchConfig(noScope));
    await expect(app.runProtocol({ protocolId: 'energy', params: {}, station: noScope, device: 'W2', sim })).rejects.toThrow(/needs an oscilloscope on the device voltage and current/);
    expect(sim.smu.received).toEqual([]);
  });
});
