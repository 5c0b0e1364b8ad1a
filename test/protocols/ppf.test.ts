import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function value(ms: Metric[], id: string): number {
  const m = ms.find((x) => x.id === id);
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m.value;
}

describe('PPF protocol on the simulated bench', () => {
  it('recovers the two volatile time constants of the device model', async () => {
    const app = openApp();
    const sim = new SimBench({ seed: 5, device: { volatileStepS: [3e-6, 1.5e-6], volatileTauS: [0.05, 1], readNoiseSigma: 1e-4 } });
    const r = await app.runProtocol({ protocolId: 'ppf', params: {}, station: simulatedStation(), device: 'PPF1', sim });
    expect(r.outcome.status).toBe('completed');
    const ms = r.outcome.metrics;
    expect(ms.find((m) => m.id === 'ppf.form')!.convention).toBe('double-exponential');
    expect(value(ms, 'ppf.tau1') / 0.05).toBeCloseTo(1, 1);
    expect(value(ms, 'ppf.tau2') / 1).toBeCloseTo(1, 1);
    // At the shortest interval nearly all of pulse 1's volatile part is still there.
    expect(value(ms, 'ppf.ratio')).toBeGreaterThan(1.8);
    expect(value(ms, 'ppf.percent')).toBeCloseTo(100 * (value(ms, 'ppf.ratio') - 1), 10);
    expect(app.run(r.runId!).samples).toBe(16 * 3);
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(16);
  });

  it('a device without a volatile part has no response to measure, and says so', async () => {
    const app = openApp();
    const sim = new SimBench({ seed: 5, device: { readNoiseSigma: 0 } });
    const r = await app.runProtocol({ protocolId: 'ppf', params: { intervals: 4 }, station: simulatedStation(), device: 'PPF2', sim });
    const ratio = r.outcome.metrics.find((m) => m.id === 'ppf.ratio')!;
    expect(ratio.status).toBe('missing');
    expect(ratio.status === 'missing' && ratio.reason).toMatch(/no pulse pair with a finite, non-zero first amplitude/);
  });

  it('refuses intervals shorter than a pulse plus its read', async () => {
    const app = openApp();
    await expect(app.runProtocol({ protocolId: 'ppf', params: { intervalMinS: 1e-3 }, station: simulatedStation(), device: 'PPF3', sim: new SimBench() })).rejects.toThrow(
      /intervalMinS = 0.001 s is shorter than widthS \+ readDelayS \+ read integration/,
    );
  });
});
