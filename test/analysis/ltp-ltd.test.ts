import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { yNu } from '../../analysis/exp-model.ts';
import { analyseLtpLtd, endWindow, type LtpLtdCycle } from '../../analysis/ltp-ltd.ts';
import type { Metric } from '../../analysis/metric.ts';
import { Rng } from '../../drivers/sim/rng.ts';
import { NEEDS_REFERENCE_DATA, hasReferenceData, referenceFile } from '../helpers/reference-data.ts';

function get(ms: Metric[], id: string, qualifier?: string, convention?: string): Metric {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier && (convention === undefined || x.convention === convention));
  if (!m) throw new Error(`no metric ${id}:${qualifier}`);
  return m;
}
function val(ms: Metric[], id: string, qualifier?: string, convention?: string): number {
  const m = get(ms, id, qualifier, convention);
  if (m.status !== 'value') throw new Error(`${id}:${qualifier} missing: ${m.reason}`);
  return m.value;
}

function cycles(count: number, n: number, stepNoise: number, seed: number): LtpLtdCycle[] {
  const r = new Rng(seed);
  return Array.from({ length: count }, () => ({
    ltp: Array.from({ length: n + 1 }, (_, k) => 1e-5 + 9e-5 * yNu(k / n, 2) + 9e-5 * stepNoise * r.normal()),
    ltd: Array.from({ length: n + 1 }, (_, k) => 1e-5 + 9e-5 * yNu((n - k) / n, -1 / 0.3) + 9e-5 * stepNoise * r.normal()),
  }));
}

describe('dynamic range (dr.ratio, dr.percent)', () => {
  it('takes medians of ⌈0.05·n⌉ reads at each end, per cycle, then the median over cycles', () => {
    expect(endWindow(100)).toBe(5);
    expect(endWindow(101)).toBe(6);
    expect(endWindow(10)).toBe(1);
    // n = 20 → 1 read at each end. Cycle DRs 4, 5 and 10: median 5.
    const mk = (lo: number, hi: number) => Array.from({ length: 21 }, (_, k) => lo + ((hi - lo) * k) / 20);
    const cs: LtpLtdCycle[] = [
      { ltp: mk(1, 4), ltd: mk(4, 1) },
      { ltp: mk(1, 5), ltd: mk(5, 1) },
      { ltp: mk(1, 10), ltd: mk(10, 1) },
    ];
    const ms = analyseLtpLtd({ cycles: cs, unit: 'S', conditions: {} });
    expect(val(ms, 'dr.ratio', 'ltp')).toBe(5);
    expect(val(ms, 'dr.ratio', 'ltd')).toBe(5);
    expect(val(ms, 'dr.percent', 'ltp')).toBe(400);
  });

  it('is missing, with the reason, when conductance is not positive', () => {
    const cs: LtpLtdCycle[] = [{ ltp: Array.from({ length: 21 }, (_, k) => k - 10), ltd: Array.from({ length: 21 }, (_, k) => 10 - k) }];
    const m = get(analyseLtpLtd({ cycles: cs, unit: 'a.u.', conditions: {} }), 'dr.ratio', 'ltp');
    expect(m.status).toBe('missing');
    if (m.status === 'missing') expect(m.reason).toMatch(/not positive/);
  });
});

describe('states and cycle-to-cycle statistics', () => {
  it('counts every step as distinguishable without noise and fewer with heavy noise', () => {
    const clean = analyseLtpLtd({ cycles: cycles(5, 50, 0, 1), unit: 'S', conditions: {} });
    expect(val(clean, 'states.pulses')).toBe(50);
    expect(val(clean, 'states.distinct', 'ltp')).toBe(50);
    const noisy = analyseLtpLtd({ cycles: cycles(5, 50, 0.02, 1), unit: 'S', conditions: {} });
    expect(val(noisy, 'states.distinct', 'ltp')).toBeLessThan(50);
  });

  it('needs two cycles for states.distinct and cv.state', () => {
    const one = analyseLtpLtd({ cycles: cycles(1, 50, 0.001, 2), unit: 'S', conditions: {} });
    expect(get(one, 'states.distinct', 'ltp').status).toBe('missing');
    expect(get(one, 'cv.state', 'ltp').status).toBe('missing');
  });

  it('c2c.step_range measures the step scatter against the range', () => {
    // Independent read noise σ on each read gives step residuals of σ·√2.
    const sigma = 0.005;
    const ms = analyseLtpLtd({ cycles: cycles(20, 100, sigma, 3), unit: 'S', conditions: {} });
    const v = val(ms, 'c2c.step_range', 'ltp');
    expect(v).toBeGreaterThan(100 * sigma * Math.SQRT2 * 0.9);
    expect(v).toBeLessThan(100 * sigma * Math.SQRT2 * 1.1);
  });

  it('cv.state is σ/μ of the final state across cycles', () => {
    const cs = cycles(3, 20, 0, 4);
    cs[0].ltp[20] = 90e-6;
    cs[1].ltp[20] = 100e-6;
    cs[2].ltp[20] = 110e-6;
    const ms = analyseLtpLtd({ cycles: cs, unit: 'S', conditions: {} });
    expect(val(ms, 'cv.state', 'ltp')).toBeCloseTo(10, 10); // σ = 10 µS (ddof 1), μ = 100 µS
  });
});

describe('metric records', () => {
  it('labels the convention and keeps the conditions with every metric', () => {
    const conditions = { read_voltage_V: 0.1, read_delay_s: 1e-3 };
    const ms = analyseLtpLtd({ cycles: cycles(3, 100, 0.002, 5), unit: 'S', conditions });
    expect(val(ms, 'nl.lsq3', 'ltp', 'magnitude')).toBeCloseTo(Math.abs(val(ms, 'nl.lsq3', 'ltp', 'signed')), 12);
    expect(val(ms, 'nl.lsq3', 'ltd', 'signed')).toBeLessThan(0);
    for (const m of ms) expect(m.conditions).toEqual(conditions);
    const fit = get(ms, 'nl.lsq3', 'ltp', 'signed');
    if (fit.status !== 'value') throw new Error('missing');
    expect(fit.quality?.nrmse).toBeGreaterThan(0);
    expect(fit.extra?.A).toBeCloseTo(0.5, 1);
  });

  it('a depression train that rises is reported missing as non-monotonic, not fitted', () => {
    const cs = cycles(2, 40, 0.001, 6).map((c) => ({ ltp: c.ltp, ltd: [...c.ltd].reverse() }));
    const m = get(analyseLtpLtd({ cycles: cs, unit: 'S', conditions: {} }), 'nl.lsq3', 'ltd', 'signed');
    expect(m.status).toBe('missing');
    if (m.status === 'missing') expect(m.reason).toMatch(/non-monotonic/);
  });
});

describe.runIf(hasReferenceData)(`real data: Gong et al. HfO2 ReRAM (aihwkit example) ${NEEDS_REFERENCE_DATA}`, () => {
  it('is analysed without error, with fit quality reported and DR missing for signed weights', () => {
    const rows = readFileSync(referenceFile('gong_et_al.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(',').map(Number));
    const ltp = rows.map((r) => r[0]);
    const ltd = rows.map((r) => r[1]);
    expect(rows.length).toBe(1000);
    const ms = analyseLtpLtd({ cycles: [{ ltp, ltd }], unit: 'a.u.', conditions: { source: 'gong_et_al.csv' } });
    for (const qualifier of ['ltp', 'ltd']) {
      const m = get(ms, 'nl.lsq3', qualifier, 'signed');
      if (m.status !== 'value') throw new Error(`${qualifier}: ${m.reason}`);
      expect(Number.isFinite(m.value)).toBe(true);
      // Noisy real data: the fit explains the trend but the residual is a visible fraction of the range.
      expect(m.quality?.nrmse).toBeGreaterThan(0.02);
      expect(m.quality?.nrmse).toBeLessThan(0.5);
      expect(m.stderr).toBeGreaterThan(0);
    }
    expect(get(ms, 'dr.ratio', 'ltp').status).toBe('missing');
    expect(val(ms, 'states.pulses')).toBe(999);
  });
});
