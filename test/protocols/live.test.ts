import { describe, expect, it } from 'vitest';
import { SimBench } from '../../drivers/sim/bench.ts';
import type { LivePoint } from '../../protocols/protocol.ts';
import type { RunEvent } from '../../protocols/runner.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

async function liveRun(protocolId: string, params: Record<string, unknown>): Promise<{ points: LivePoint[]; events: RunEvent['type'][]; metrics: Map<string, number> }> {
  const app = openApp();
  const station = simulatedStation({ protocol: protocolId });
  const points: LivePoint[] = [];
  const events: RunEvent['type'][] = [];
  const r = await app.runProtocol({
    protocolId,
    params,
    station,
    device: 'L1',
    sim: new SimBench(simBenchConfig(station)),
    onEvent: (e) => {
      events.push(e.type);
      if (e.type === 'live') points.push(...e.points);
    },
  });
  expect(r.outcome.status).toBe('completed');
  const metrics = new Map(r.outcome.metrics.flatMap((m) => (m.status === 'value' ? [[m.qualifier ? `${m.id}:${m.qualifier}` : m.id, m.value] as [string, number]] : [])));
  return { points, events, metrics };
}

describe('live metrics while a run plays', () => {
  it('LTP/LTD: NL and DR of every finished ramp, before the run ends, close to the card', async () => {
    const { points, events, metrics } = await liveRun('ltp-ltd', { cycles: 3 });
    const nlLtp = points.filter((p) => p.key === 'nl.lsq3:ltp');
    expect(nlLtp.map((p) => p.at)).toEqual([1, 2, 3]);
    expect(points.filter((p) => p.key === 'dr.ratio:ltd').map((p) => p.at)).toEqual([1, 2, 3]);
    // One ramp's label against the card's fit over all cycles: within the cycle-to-cycle spread.
    for (const p of nlLtp) expect(Math.abs(p.value - metrics.get('nl.lsq3:ltp')!)).toBeLessThan(0.3);
    // The live points come while the run plays: the first one before the last progress event.
    expect(events.indexOf('live')).toBeLessThan(events.lastIndexOf('progress'));
    expect(events.indexOf('live')).toBeGreaterThan(events.indexOf('started'));
  });

  it('STDP: one ΔW point per pair at its Δt; polarization: one photocurrent per angle', async () => {
    const stdp = await liveRun('stdp', { dtPerSide: 3, dtMaxS: 3e-3 });
    expect(stdp.points.filter((p) => p.key === 'stdp.dw').map((p) => Math.round(p.at * 1e3))).toEqual([1, -1, 2, -2, 3, -3]);
    expect(stdp.points[0].value).toBeGreaterThan(0); // post after pre: potentiation
    expect(stdp.points[1].value).toBeLessThan(0);
    const pol = await liveRun('polarization', { angleStepDeg: 30 });
    const iph = pol.points.filter((p) => p.key === 'polarization.i_ph');
    expect(iph.map((p) => Math.round(p.at))).toEqual([0, 30, 60, 90, 120, 150, 180]);
    // The largest photocurrent near the device axis (30°), the smallest across it (120°).
    expect(Math.round(iph.reduce((a, b) => (b.value > a.value ? b : a)).at)).toBe(30);
    expect(Math.round(iph.reduce((a, b) => (b.value < a.value ? b : a)).at)).toBe(120);
  });
});
