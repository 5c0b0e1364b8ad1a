import { describe, expect, it } from 'vitest';
import { cardKey } from '../../analysis/card.ts';
import type { Metric } from '../../analysis/metric.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function get(ms: Metric[], key: string): Metric {
  const m = ms.find((x) => cardKey(x) === key);
  if (!m) throw new Error(`no ${key}`);
  return m;
}

describe('endurance protocol on the simulated bench', () => {
  it('reads both states every cycle, stops at the failure, and the card agrees with the stop', async () => {
    const app = openApp();
    // Wear-out N = 2000: W = 1 + 9·exp(−(n/N)⁴) falls below 2 near n = 2000·(ln 9)^¼ ≈ 2436.
    const sim = new SimBench({ seed: 1, device: { wearOutCycles: 2000 } });
    const r = await app.runProtocol({ protocolId: 'endurance', params: { cycles: 5000, cyclesPerTrain: 500 }, station: simulatedStation(), device: 'E1', sim });
    expect(r.outcome.status).toBe('completed');
    const cycles = get(r.outcome.metrics, 'endurance.cycles');
    if (cycles.status !== 'value') throw new Error(cycles.reason);
    expect(cycles.convention).toBe('failure');
    expect(cycles.value).toBeGreaterThan(2300);
    expect(cycles.value).toBeLessThan(2600);
    expect(r.outcome.reason).toContain(`from cycle ${cycles.value + 1}`);
    // It stops after the train in which the 10th failing cycle fell: one round trip per 500 cycles.
    const trains = Math.ceil((cycles.value + 10) / 500);
    const run = app.run(r.runId!);
    expect(run.samples).toBe(2 * 500 * trains);
    expect(sim.dut.switchingCycles).toBe(500 * trains);
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(trains);
    // Recomputed from the stored reads: the same card.
    expect(app.recomputeCard(r.runId!).metrics).toEqual(app.card(r.runId!).metrics);
    expect(app.compare([r.runId!], false)).toMatch(/\| E1 \| – \| – \| \d{4} \|/);
    expect(app.cardHtml(r.runId!)).toMatch(/Memory window per cycle/);
  });

  it('reports "≥ N cycles" for a device that does not fail, and resumes from its checkpoint', async () => {
    const app = openApp();
    const controller = new AbortController();
    const station = { ...simulatedStation(), simulation: { seed: 3, deviceIndex: 0, device: {}, faults: [] } };
    const first = await app.runProtocol({
      protocolId: 'endurance',
      params: { cycles: 4000, cyclesPerTrain: 1000 },
      station,
      device: 'E2',
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.state.cyclesDone === 2000) controller.abort();
      },
    });
    expect(first.outcome.status).toBe('aborted');
    const r = await app.resumeRun(first.runId!);
    expect(r.outcome.status).toBe('completed');
    const cycles = get(app.card(r.runId!).metrics, 'endurance.cycles');
    expect(cycles.status === 'value' && cycles.value).toBe(4000);
    expect(cycles.convention).toBe('lower-bound');
    const cv = get(app.card(r.runId!).metrics, 'cv.state:hrs');
    expect(cv.status === 'value' && cv.value).toBeLessThan(5);
  });
});
