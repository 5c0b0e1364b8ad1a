import { describe, expect, it } from 'vitest';
import type { Metric, PresentMetric } from '../../analysis/metric.ts';
import { simulatedDeviceReference } from '../../app/sim-reference.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { Memristor } from '../../drivers/sim/dut/memristor.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function metric(ms: Metric[], id: string, qualifier?: string): PresentMetric {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier);
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m;
}

describe('STP→LTP protocol on the simulated bench', () => {
  it('retention grows with the train length as the non-volatile part outgrows the saturating volatile one; the transition n matches the noise-free device', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'stp-ltp' });
    const sim = new SimBench(simBenchConfig(station));
    const r = await app.runProtocol({ protocolId: 'stp-ltp', params: {}, station, device: 'T1', sim });
    expect(r.outcome.status).toBe('completed');
    const ms = r.outcome.metrics;
    expect(metric(ms, 'stp.retained', 'n=64').value).toBeGreaterThan(metric(ms, 'stp.retained', 'n=4').value + 0.2);
    const ref = (await simulatedDeviceReference(station, 'T1', 'stp-ltp', {})).noiseFreeMetrics;
    const nt = metric(ms, 'stp.n_transition').value;
    expect(nt / metric(ref, 'stp.n_transition').value).toBeCloseTo(1, 1);
    expect(nt).toBeGreaterThan(4);
    expect(nt).toBeLessThan(64);
    // One instrument-timed train per n = 1, 2, 4, …, 64.
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(7);
  });

  it('a criterion never reached is "> n_max", not an error', async () => {
    const app = openApp();
    const station = simulatedStation({ protocol: 'stp-ltp' });
    const r = await app.runProtocol({ protocolId: 'stp-ltp', params: { nMax: 4, criterion: 0.9 }, station, device: 'T2', sim: new SimBench(simBenchConfig(station)) });
    const m = r.outcome.metrics.find((x) => x.id === 'stp.n_transition')!;
    expect(m.status === 'missing' && m.reason).toBe('> 4 (no train retained more than 0.9)');
  });
});

describe('energy protocol (source-meter plateau method)', () => {
  it('the per-pulse estimate bounds the model’s exact ∫V·I dt from above, within 5 %', async () => {
    const app = openApp();
    const station = simulatedStation();
    const sim = new SimBench(simBenchConfig(station));
    const params = { method: 'smu-plateau', amplitudeV: 1.5, widthS: 2e-3, pulses: 20 };
    const r = await app.runProtocol({ protocolId: 'energy', params, station, device: 'E1', sim });
    expect(r.outcome.status).toBe('completed');
    const est = metric(r.outcome.metrics, 'energy.estimate');
    expect(est.convention).toBe('estimate');
    // Truth: a noise-free copy of the device, pulsed the same way, integrated in 1 µs steps.
    const dut = new Memristor({ ...simBenchConfig(station).device, c2cStepSigma: 0, readNoiseSigma: 0 }, 1, 0);
    const exact: number[] = [];
    for (let k = 0; k < params.pulses; k++) {
      let e = 0;
      for (let t = 0; t < params.widthS - 1e-12; t += 1e-6) {
        e += params.amplitudeV * dut.currentA(params.amplitudeV) * 1e-6;
        dut.apply(params.amplitudeV, 1e-6);
      }
      exact.push(e);
    }
    const exactMedian = [...exact].sort((a, b) => a - b)[params.pulses / 2 - 1] / 2 + [...exact].sort((a, b) => a - b)[params.pulses / 2] / 2;
    expect(est.value).toBeGreaterThan(exactMedian * 0.99);
    // The plateau is the end of a potentiating pulse: about half the pulse's own conductance step (≈ 6 % here) too high.
    expect(est.value / exactMedian - 1).toBeLessThan(0.05);
    // The spread over the train is on the card: energy grows as the device potentiates.
    expect(est.extra!.max).toBeGreaterThan(est.extra!.min);
    expect(est.extra!.pulses).toBe(20);
    expect(metric(r.outcome.metrics, 'energy.read').value).toBeGreaterThan(0);
  });

  it('energy.read integrates over the aperture the SMU used: NPLC ÷ the mains it reported (60 Hz here)', async () => {
    const energyRead = async (hz: 50 | 60) => {
      const station = simulatedStation();
      const sim = new SimBench(simBenchConfig(station));
      sim.smu.lineFrequencyHz = hz;
      const r = await openApp().runProtocol({ protocolId: 'energy', params: { method: 'smu-plateau', amplitudeV: 1.5, widthS: 25e-3, pulses: 4, nplc: 1, intervalS: 0.1 }, station, device: `E${hz}`, sim });
      expect(r.outcome.status).toBe('completed');
      return metric(r.outcome.metrics, 'energy.read');
    };
    const [at50, at60] = [await energyRead(50), await energyRead(60)];
    expect(at50.conditions.read_aperture_s).toBeCloseTo(1 / 50, 12);
    expect(at60.conditions.read_aperture_s).toBeCloseTo(1 / 60, 12);
    expect(at60.method).toMatch(/the mains frequency the SMU reported/);
    // The same read power over a 60 Hz cycle: 5/6 of the energy.
    expect(at60.value / at50.value).toBeCloseTo(5 / 6, 2);
  });
});
