import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { simulatedDeviceReference } from '../../app/sim-reference.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { SafetyError } from '../../protocols/runner.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function value(ms: Metric[], id: string, qualifier?: string): number {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier);
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m.value;
}

describe('I-V protocol on the simulated bench', () => {
  it('each sweep is one instrument-timed staircase; V_set and V_reset sit just past the model thresholds, R_off at 1/G_min', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'iv' });
    const sim = new SimBench(simBenchConfig(station));
    const r = await app.runProtocol({ protocolId: 'iv', params: { cycles: 3 }, station, device: 'IV1', sim });
    expect(r.outcome.status).toBe('completed');
    const ms = r.outcome.metrics;
    const dut = sim.dut.params;
    // 150 levels + a read per sweep, played from one trigger model: a loop stepping through the list.
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(6);
    const blocks = sim.smu.received.filter((m) => m.startsWith(':TRIG:BLOC')).length / 6;
    expect(blocks).toBeLessThan(15);
    expect(app.run(r.runId!).samples).toBe(3 * 2 * (149 + 1));
    // Switching starts at the threshold (0.8 V both ways); within 0.15 V above it the step is fast enough to show.
    const vset = value(ms, 'iv.v_set', 'steepest-rise');
    expect(vset).toBeGreaterThan(dut.vSetThresholdV);
    expect(vset).toBeLessThan(dut.vSetThresholdV + 0.15);
    const vreset = value(ms, 'iv.v_reset');
    expect(vreset).toBeGreaterThan(-dut.vResetThresholdV);
    expect(vreset).toBeLessThan(-dut.vResetThresholdV + 0.1);
    // After a full RESET the device is at G_min; the read says so within the read noise.
    expect(value(ms, 'iv.r_off') * dut.gMinS).toBeCloseTo(1, 2);
    // The same sweeps on a noise-free copy of the device give the same numbers within a step.
    const ref = await simulatedDeviceReference(station, 'IV1', 'iv', { cycles: 3 });
    for (const [id, q] of [['iv.v_set', undefined], ['iv.v_set', 'steepest-rise'], ['iv.v_reset', undefined]] as const) {
      expect(Math.abs(value(ms, id, q) - value(ref.noiseFreeMetrics, id, q))).toBeLessThanOrEqual(0.02 + 1e-9);
    }
    expect(value(ms, 'iv.r_on') / value(ref.noiseFreeMetrics, 'iv.r_on')).toBeCloseTo(1, 1);
    expect(value(ms, 'iv.on_off')).toBeGreaterThan(2);
  });

  it('pulsed sweeps: each level a pulse with 0 V between, still one short trigger model per sweep', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'iv' });
    const sim = new SimBench(simBenchConfig(station));
    const r = await app.runProtocol({ protocolId: 'iv', params: { cycles: 2, mode: 'pulsed', offS: 0.005 }, station, device: 'IV3', sim });
    expect(r.outcome.status).toBe('completed');
    // 149 pulse + rest pairs per sweep loop through the configuration list two segments at a time.
    const blocks = sim.smu.received.filter((m) => m.startsWith(':TRIG:BLOC')).length / 4;
    expect(blocks).toBeLessThan(16);
    expect(sim.smu.received.filter((m) => m.startsWith(':TRIG:BLOC:CONF:NEXT')).length).toBe(2 * 4);
    expect(app.run(r.runId!).samples).toBe(2 * 2 * 150);
    const vset = value(r.outcome.metrics, 'iv.v_set', 'steepest-rise');
    expect(vset).toBeGreaterThan(sim.dut.params.vSetThresholdV);
    expect(vset).toBeLessThan(sim.dut.params.vSetThresholdV + 0.2);
    expect(r.outcome.metrics[0].conditions).toMatchObject({ sweep: expect.stringMatching(/^pulsed dual sweep/) });
  });

  it('refuses a sweep beyond the device limit before any instrument command', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'iv' });
    const sim = new SimBench(simBenchConfig(station));
    await expect(app.runProtocol({ protocolId: 'iv', params: { setMaxV: 6 }, station, device: 'IV2', sim })).rejects.toThrow(SafetyError);
    expect(sim.smu.received).toEqual([]);
  });
});

describe('forming protocol on the simulated bench', () => {
  it('a pristine device forms at the first ramp step at or above its forming voltage, and then reads near G_max', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'forming' });
    const sim = new SimBench(simBenchConfig(station));
    expect(sim.dut.isFormed).toBe(false);
    const r = await app.runProtocol({ protocolId: 'forming', params: { startV: 1, stepV: 0.25 }, station, device: 'F1', sim });
    expect(r.outcome.status).toBe('completed');
    expect(r.outcome.reason).toMatch(/^formed at 3\.000 V/);
    expect(value(r.outcome.metrics, 'forming.v_form')).toBe(3);
    expect(sim.dut.isFormed).toBe(true);
    // Steps 1 V … 3 V in 0.25 V: nine steps, then the ramp stopped.
    expect(app.run(r.runId!).samples).toBe(9);
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(9);
  });

  it('"not formed up to V_max" is a result, not an error', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'forming' });
    const r = await app.runProtocol({ protocolId: 'forming', params: { startV: 1, stopV: 2, stepV: 0.5 }, station, device: 'F2', sim: new SimBench(simBenchConfig(station)) });
    expect(r.outcome.status).toBe('completed');
    expect(r.outcome.reason).toBe('not formed up to 2.000 V');
    const m = r.outcome.metrics.find((x) => x.id === 'forming.v_form')!;
    expect(m.status === 'missing' && m.reason).toBe('not formed up to 2 V');
  });
});
