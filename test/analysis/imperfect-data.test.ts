// LTP/LTD analysis on imperfect data: uneven ramps, NaN cells, glitches, one-read
// cycles, reasons in the data's own coordinates, the metrics.md definitions of the C2C
// statistics, and read noise separated from write noise on the simulated bench.

import { describe, expect, it } from 'vitest';
import { yNu } from '../../analysis/exp-model.ts';
import { type LtpLtdCycle, analyseLtpLtd } from '../../analysis/ltp-ltd.ts';
import type { Metric } from '../../analysis/metric.ts';
import { median } from '../../analysis/stats.ts';
import { NeuroProbeApp } from '../../app/service.ts';
import { Rng } from '../../drivers/sim/rng.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { simulatedStation } from '../../protocols/station.ts';

function get(ms: Metric[], id: string, qualifier?: string): Metric {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier && (x.convention === undefined || x.convention === 'signed' || id !== 'nl.lsq3'));
  if (!m) throw new Error(`no ${id}:${qualifier}`);
  return m;
}
function val(ms: Metric[], id: string, qualifier?: string): number {
  const m = get(ms, id, qualifier);
  if (m.status !== 'value') throw new Error(`${id}:${qualifier} missing: ${m.reason}`);
  return m.value;
}
function extra(ms: Metric[], id: string, qualifier?: string): Record<string, number> {
  const m = get(ms, id, qualifier);
  return m.status === 'value' ? (m.extra ?? {}) : {};
}

/** A noisy ramp of n pulses from 10 to 90 µS on the exponential model (depression: falling). */
function ramp(a: number, n: number, seed: number, falling = false, noise = 0.002): number[] {
  const r = new Rng(seed);
  const up = Array.from({ length: n + 1 }, (_, k) => 10e-6 + 80e-6 * yNu(k / n, 1 / a) * (1 + noise * r.normal()));
  return falling ? up.reverse() : up;
}

describe('statistics on imperfect data', () => {
  it('median ignores NaN instead of sorting it anywhere', () => {
    expect(median([3, NaN, 1, 2])).toBe(2);
    expect(median([NaN, 5, NaN, 1])).toBe(3);
    expect(median([NaN])).toBeNaN();
  });

  it('uneven ramps: every ramp enters every statistic, LTP and LTD counted apart', () => {
    const cycles: LtpLtdCycle[] = Array.from({ length: 40 }, (_, i) => ({ ltp: i < 39 ? ramp(0.5, 40 + (i % 7), i) : [], ltd: ramp(-0.3, 50, 100 + i, true) }));
    const ms = analyseLtpLtd({ cycles, unit: 'S', conditions: {} });
    expect(extra(ms, 'c2c.step_range', 'ltp').ramps).toBe(39);
    expect(extra(ms, 'c2c.step_range', 'ltd').ramps).toBe(40);
    const steps = cycles.slice(0, 39).reduce((s, c) => s + c.ltp.length - 1, 0);
    expect(extra(ms, 'c2c.step_range', 'ltp').steps).toBe(steps);
    expect(extra(ms, 'states.distinct', 'ltp').ramps).toBe(39);
    expect(get(ms, 'nl.lsq3', 'ltp').method).toMatch(/pooled over every usable read of 39 ramps/);
    // The pooled fit still finds the curve all ramps share.
    expect(extra(ms, 'nl.lsq3', 'ltp').A).toBeCloseTo(0.5, 1);
    expect(val(ms, 'states.pulses')).toBe(43);
    expect(extra(ms, 'states.pulses')).toMatchObject({ min: 40, max: 46 });
  });

  it('one NaN cell leaves out one read, not the phase; it is counted', () => {
    const cycles = Array.from({ length: 5 }, (_, i) => ({ ltp: ramp(0.5, 60, i), ltd: ramp(-0.3, 60, 50 + i, true) }));
    const clean = analyseLtpLtd({ cycles, unit: 'S', conditions: {} });
    for (const pos of [0, 30, 60]) {
      const dirty = cycles.map((c) => ({ ltp: [...c.ltp], ltd: [...c.ltd] }));
      dirty[2].ltd[pos] = NaN;
      const ms = analyseLtpLtd({ cycles: dirty, unit: 'S', conditions: {} });
      expect(get(ms, 'dr.ratio', 'ltd').status).toBe('value');
      expect(get(ms, 'nl.lsq3', 'ltd').status).toBe('value');
      expect(extra(ms, 'nl.lsq3', 'ltd').excluded_nonfinite_reads).toBe(1);
      expect(val(ms, 'dr.ratio', 'ltd')).toBeCloseTo(val(clean, 'dr.ratio', 'ltd'), 1);
      expect(val(ms, 'nl.lsq3', 'ltd')).toBeCloseTo(val(clean, 'nl.lsq3', 'ltd'), 1);
    }
  });

  it('a −5 µS glitch is flagged by the stated rule, named in the data’s coordinates, and does not move c2c.step_range', () => {
    const cycles = Array.from({ length: 5 }, (_, i) => ({ ltp: ramp(0.5, 100, i, false, 0.0005), ltd: ramp(-0.3, 100, 50 + i, true, 0.0005) }));
    const clean = analyseLtpLtd({ cycles, unit: 'S', conditions: {} });
    const glitchy = cycles.map((c) => ({ ltp: [...c.ltp], ltd: [...c.ltd] }));
    glitchy[3].ltd[60] -= 5e-6; // read 60 of cycle 4's depression train, as recorded
    const ms = analyseLtpLtd({ cycles: glitchy, unit: 'S', conditions: {} });
    expect(extra(ms, 'c2c.step_range', 'ltd').excluded_glitch_reads).toBe(1);
    expect(get(ms, 'c2c.step_range', 'ltd').method).toMatch(/cycle 4, read 60: glitch/);
    expect(get(ms, 'c2c.step_range', 'ltd').method).toMatch(/glitch rule: an inner read more than 10 robust σ/);
    expect(val(ms, 'c2c.step_range', 'ltd')).toBeCloseTo(val(clean, 'c2c.step_range', 'ltd'), 2);
    expect(extra(clean, 'c2c.step_range', 'ltd').excluded_glitch_reads).toBeUndefined();
  });

  it('a one-read cycle is not an end state', () => {
    const cycles = Array.from({ length: 4 }, (_, i) => ({ ltp: ramp(0.5, 50, i), ltd: ramp(-0.3, 50, 20 + i, true) }));
    const clean = analyseLtpLtd({ cycles, unit: 'S', conditions: {} });
    const withStub = [...cycles, { ltp: [10e-6], ltd: [] }];
    const ms = analyseLtpLtd({ cycles: withStub, unit: 'S', conditions: {} });
    expect(val(ms, 'cv.state', 'ltp')).toBeCloseTo(val(clean, 'cv.state', 'ltp'), 10);
    expect(extra(ms, 'nl.lsq3', 'ltp').excluded_ramps).toBe(1);
    expect(get(ms, 'nl.lsq3', 'ltp').method).toMatch(/cycle 5: 1 usable read/);
  });

  it('c2c.step_range divides by G_max − G_min as metrics.md defines it', () => {
    // Straight ramps with alternating step noise: residuals are known exactly.
    const n = 40;
    const mk = (sign: number) => Array.from({ length: n + 1 }, (_, k) => 20e-6 + 1e-6 * k + (k % 2 ? sign : 0) * 0.1e-6);
    const ms = analyseLtpLtd({ cycles: [{ ltp: mk(1), ltd: [] }, { ltp: mk(-1), ltd: [] }], unit: 'S', conditions: {} });
    const m = get(ms, 'c2c.step_range', 'ltp');
    expect(m.method).toMatch(/divided by G_max − G_min/);
    const gHigh = median([mk(1).slice(-2), mk(-1).slice(-2)].map((w) => median(w)));
    const gLow = median([mk(1).slice(0, 2), mk(-1).slice(0, 2)].map((w) => median(w)));
    expect(gHigh - gLow).toBeGreaterThan(30e-6);
    // Steps alternate 1.1 and 0.9 µS around the fitted 1 µS step: residuals ±0.1 µS, sample std 0.1·√(80/79) µS.
    const expected = (100 * 0.1e-6 * Math.sqrt(80 / 79)) / (gHigh - gLow);
    expect(val(ms, 'c2c.step_range', 'ltp') / expected).toBeCloseTo(1, 2);
  });
});

describe('read noise and write noise on the simulated bench', () => {
  async function run(device: Record<string, number>) {
    const app = new NeuroProbeApp(':memory:');
    const station = { ...simulatedStation(), simulation: { ...simulatedStation().simulation!, device } };
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 10 }, station, device: 'N', sim: new SimBench(station.simulation) });
    const ms = r.outcome.metrics;
    app.close();
    return ms;
  }

  it('write noise well above read noise is recovered', async () => {
    const ms = await run({ c2cStepSigma: 0.2, readNoiseSigma: 0.0002 });
    expect(val(ms, 'read.noise')).toBeGreaterThan(0.01);
    expect(val(ms, 'read.noise')).toBeLessThan(0.04);
    for (const q of ['ltp', 'ltd']) {
      const w = get(ms, 'c2c.write_noise', q);
      expect(w.status === 'value' && w.convention).toBeFalsy();
      expect(val(ms, 'c2c.write_noise', q)).toBeGreaterThan(15);
      expect(val(ms, 'c2c.write_noise', q)).toBeLessThan(25);
    }
  });

  it('with the default device read noise dominates, and the card says so', async () => {
    const ms = await run({});
    expect(val(ms, 'read.noise')).toBeGreaterThan(0.07);
    expect(val(ms, 'read.noise')).toBeLessThan(0.13); // configured 0.1 %
    const rel = val(ms, 'c2c.step_rel', 'ltp');
    expect(rel).toBeGreaterThan(4);
    expect(rel).toBeLessThan(12); // relative residuals: mostly read noise, not the curve's own nonlinearity
    const w = get(ms, 'c2c.write_noise', 'ltp');
    expect(w.status === 'value' && w.convention).toBe('upper-bound');
    expect(w.status === 'value' && w.extra?.read_noise_dominates).toBe(1);
  });
});
