import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { readChannel } from '../../db/reader.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function value(ms: Metric[], id: string, qualifier?: string): number {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier);
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m.value;
}

describe('retention protocol on the simulated bench', () => {
  it('programs, reads on a log time scale in one train, and recovers the relaxation of the device model', async () => {
    const app = openApp();
    const sim = new SimBench({ seed: 8, device: { retentionFraction: 0.6, retentionTauS: 300, retentionBeta: 0.5, readNoiseSigma: 2e-4 } });
    const r = await app.runProtocol({ protocolId: 'retention', params: { reads: 16 }, station: simulatedStation(), device: 'RT1', sim });
    expect(r.outcome.status).toBe('completed');
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(1);
    const ms = r.outcome.metrics;
    expect(value(ms, 'retention.tau') / 300).toBeGreaterThan(0.95);
    expect(value(ms, 'retention.tau') / 300).toBeLessThan(1.05);
    expect(value(ms, 'retention.beta')).toBeCloseTo(0.5, 1);
    // 60 % of each programmed change relaxes away, part of it already during the 1 s
    // programming train (≈0.8 % of the excess per 20 ms gap), so relative to the first
    // read after programming about 45 % is retained at 10⁴ s (≈33 τ).
    expect(value(ms, 'retention.fraction', '10000s')).toBeGreaterThan(0.4);
    expect(value(ms, 'retention.fraction', '10000s')).toBeLessThan(0.5);
    expect(value(ms, 'retention.fraction', '10s')).toBeGreaterThan(value(ms, 'retention.fraction', '1000s'));
    const t = app.recomputeCard(r.runId!).metrics;
    expect(value(t, 'retention.tau')).toBe(value(ms, 'retention.tau'));
  });

  it('200 reads to 10⁴ s in 13 chained trains, each read placed by the instrument clock', async () => {
    const app = openApp();
    const sim = new SimBench({ seed: 8, device: { retentionFraction: 0.6, retentionTauS: 300, retentionBeta: 0.5, readNoiseSigma: 2e-4 } });
    const r = await app.runProtocol({ protocolId: 'retention', params: { reads: 200 }, station: simulatedStation(), device: 'RT3', sim });
    expect(r.outcome.status).toBe('completed');
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(13);
    // Every train's first read is stamped with the instrument clock (whole seconds + fraction).
    expect(sim.smu.received.filter((m) => m.includes(':TRAC:DATA? 1, 1, "defbuffer1", SEC, FRAC')).length).toBe(13);
    const t = Array.from(readChannel(app.db, r.runId!, 't_s')).slice(1);
    expect(t.length).toBe(200);
    // Log-spaced from 0.1 s to 10⁴ s after programming; on the virtual clock the host adds no gap.
    const plan = Array.from({ length: 200 }, (_, k) => 0.1 * Math.pow(1e5, k / 199));
    // (within 0.5 %: the first read sits one 0.2 ms integration after its plan)
    for (let k = 0; k < 200; k++) expect(t[k] / plan[k]).toBeCloseTo(1, 2);
    const ms = r.outcome.metrics;
    expect(value(ms, 'retention.tau') / 300).toBeCloseTo(1, 1);
    expect(value(ms, 'retention.beta')).toBeCloseTo(0.5, 2);
  });
});

describe('progress inside a long train', () => {
  it('reports reads as they arrive while a paced retention train plays', async () => {
    const app = openApp();
    // About 101 s of instrument time at 200× real time: half a second of polling.
    const sim = new SimBench({ seed: 9, realTimeFactor: 200, device: { retentionFraction: 0.5 } });
    const seen: number[] = [];
    const r = await app.runProtocol({
      protocolId: 'retention',
      params: { firstReadS: 0.1, lastReadS: 100, reads: 8 },
      station: simulatedStation(),
      device: 'RT3',
      sim,
      onEvent: (e) => {
        if (e.type === 'progress') seen.push(e.done);
      },
    });
    expect(r.outcome.status).toBe('completed');
    expect(seen.length).toBeGreaterThan(3);
    expect(new Set(seen).size).toBeGreaterThan(2); // readings arrived over time, not all at once
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });
});
