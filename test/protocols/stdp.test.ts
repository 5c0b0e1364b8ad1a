import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { NeuroProbeApp } from '../../app/service.ts';
import { simulatedDeviceReference } from '../../app/sim-reference.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { validateParams } from '../../protocols/params.ts';
import { STDP_PARAMS, dtList, pairSegments } from '../../protocols/stdp.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { readChannel } from '../../db/reader.ts';

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
    const app = new NeuroProbeApp(':memory:');
    try {
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
    } finally {
      app.close();
    }
  });

  it('pairs further apart than the tail reaches change nothing beyond read noise', async () => {
    const app = new NeuroProbeApp(':memory:');
    try {
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
    } finally {
      app.close();
    }
  });
});
