import { gamma } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { EnduranceAccumulator } from '../../analysis/endurance.ts';
import { estimatedEnergy, opticalEnergy, readEnergy, trapezoid, writeEnergy } from '../../analysis/energy.ts';
import type { Metric } from '../../analysis/metric.ts';
import { analysePolarization, ratioFromDichroism } from '../../analysis/polarization.ts';
import { analysePpf, pulseAmplitude } from '../../analysis/ppf.ts';
import { analyseRetention } from '../../analysis/retention.ts';
import { analyseStdp } from '../../analysis/stdp.ts';
import { deviceToDevice, deviceYield, minimumsCriterion } from '../../analysis/variation.ts';
import { cardKey } from '../../analysis/card.ts';
import { Rng } from '../../drivers/sim/rng.ts';

function m(ms: Metric[], id: string, qualifier?: string): Metric {
  const r = ms.find((x) => x.id === id && x.qualifier === qualifier);
  if (!r) throw new Error(`no ${id}`);
  return r;
}
function v(ms: Metric[], id: string, qualifier?: string): number {
  const r = m(ms, id, qualifier);
  if (r.status !== 'value') throw new Error(`${id} missing: ${r.reason}`);
  return r.value;
}

describe('energy per spike (metrics.md §5)', () => {
  it('integrates a trapezoidal pulse on a resistor exactly', () => {
    // 1 V trapezoid: 10 ns rise, 80 ns flat, 10 ns fall, into 1 kΩ, on a 1 µA read baseline.
    // ∫V²/R dt = (1/R)·(80 ns + 2·10 ns/3) for the flat top plus the two ramps.
    const R = 1000;
    const t: number[] = [];
    const vv: number[] = [];
    const ii: number[] = [];
    for (let k = 0; k <= 2000; k++) {
      const tk = -50e-9 + k * 0.1e-9;
      const level = tk < 0 ? 0 : tk < 10e-9 ? tk / 10e-9 : tk < 90e-9 ? 1 : tk < 100e-9 ? (100e-9 - tk) / 10e-9 : 0;
      t.push(tk);
      vv.push(level);
      ii.push(level / R + 1e-6);
    }
    const e = writeEnergy({ tS: t, voltageV: vv, currentA: ii, pulse: [0, 100e-9], baseline: [-50e-9, -1e-9], terminal: 'top electrode', conditions: {} });
    if (e.status !== 'value') throw new Error(e.reason);
    const exact = (80e-9 + (2 * 10e-9) / 3) / R;
    expect(e.value).toBeCloseTo(exact, 15);
    expect(Math.abs(e.value - exact) / exact).toBeLessThan(1e-4); // trapezoid error on the curved V² ramps
    expect(e.conditions.terminal).toBe('top electrode');
  });

  it('the trapezoid rule is exact for piecewise-linear data and interpolates window edges', () => {
    expect(trapezoid([0, 1, 2], [0, 2, 2])).toBe(3);
    expect(trapezoid([0, 1, 2], [0, 2, 2], 0.5, 1.5)).toBeCloseTo(0.5 * 1.5 + 0.5 * 2, 12);
  });

  it('read, optical and estimated energies follow their definitions; a read scales with V²', () => {
    const t = [0, 1e-3, 2e-3];
    const r1 = readEnergy({ tS: t, currentA: [1e-6, 1e-6, 1e-6], readVoltageV: 0.1, window: [0, 2e-3], conditions: {} });
    const r2 = readEnergy({ tS: t, currentA: [2e-6, 2e-6, 2e-6], readVoltageV: 0.2, window: [0, 2e-3], conditions: {} });
    expect(r1.status === 'value' && r1.value).toBeCloseTo(2e-10, 20);
    expect(r2.status === 'value' && r1.status === 'value' && r2.value / r1.value).toBeCloseTo(4, 12);
    const o = opticalEnergy({ powerW: 1e-3, pulseS: 1e-3, spotAreaM2: 1e-8, deviceAreaM2: 1e-10, conditions: {} });
    expect(o.status === 'value' && o.value).toBeCloseTo(1e-8, 20);
    const est = estimatedEnergy({ pulseV: -2, peakCurrentA: -1e-4, pulseS: 1e-6, conditions: {} });
    expect(est.status === 'value' && est.value).toBeCloseTo(2e-10, 20);
    expect(est.convention).toBe('estimate');
    const bad = writeEnergy({ tS: [0, 1, 1], voltageV: [1, 1, 1], currentA: [1, 1, 1], pulse: [0, 1], terminal: 'gate', conditions: {} });
    expect(bad.status === 'missing' && bad.reason).toMatch(/not increasing at sample 2/);
  });
});

describe('STDP (metrics.md §6)', () => {
  const dt: number[] = [];
  for (let k = -20; k <= 20; k++) if (k !== 0) dt.push(k * 5e-3);
  const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);

  // ΔW noise σ = 1 % on amplitudes of 60 % and 30 %; across 20 seeds the recovered
  // τ must be within 10 % and A within 5 % RMS (the fits' own standard errors are ≈3 % and ≈2 %).
  it('recovers a known asymmetric exponential window across seeds and prefers it by AIC', () => {
    const errTau: number[] = [];
    const errA: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const r = new Rng(seed);
      const dw = dt.map((t) => (t > 0 ? 60 * Math.exp(-t / 0.02) : -30 * Math.exp(t / 0.04)) + r.normal());
      const ms = analyseStdp({ dtS: dt, dwPercent: dw, conditions: {} });
      errTau.push(v(ms, 'stdp.tau_plus') / 0.02 - 1, v(ms, 'stdp.tau_minus') / 0.04 - 1);
      errA.push(v(ms, 'stdp.a_plus') / 60 - 1, v(ms, 'stdp.a_minus') / 30 - 1);
      expect(m(ms, 'stdp.form').convention).toBe('exponential-asymmetric');
    }
    expect(rms(errTau)).toBeLessThan(0.1);
    expect(rms(errA)).toBeLessThan(0.05);
  });

  it('recognises a symmetric Gaussian window', () => {
    const r = new Rng(9);
    const dw = dt.map((t) => 40 * Math.exp(-(t * t) / (2 * 0.03 ** 2)) - 5 + 0.5 * r.normal());
    const ms = analyseStdp({ dtS: dt, dwPercent: dw, conditions: {} });
    expect(m(ms, 'stdp.form').convention).toBe('gaussian');
    expect(v(ms, 'stdp.gaussian_sigma')).toBeCloseTo(0.03, 3);
  });

  it('a width the data do not determine (the fit ran into its bound) is missing with the reason, not a number with a tiny error', () => {
    // A window of one sign on both sides: the Mexican hat's zero crossing τ_a runs off to its bound.
    const r = new Rng(1);
    const dw = dt.map((t) => 40 * Math.exp(-Math.abs(t) / 0.02) + 0.5 * r.normal());
    const ms = analyseStdp({ dtS: dt, dwPercent: dw, conditions: {} });
    const hat = m(ms, 'stdp.mexican_hat_tau_a');
    expect(hat.status).toBe('missing');
    expect(hat.status === 'missing' && hat.reason).toMatch(/^the mexican-hat fit ran into its upper bound on tau_a \(\d+\): the data do not determine it$/);
    // The well-determined widths are still numbers.
    expect(v(ms, 'stdp.tau_plus')).toBeCloseTo(0.02, 2);
    expect(v(ms, 'stdp.gaussian_sigma')).toBeGreaterThan(0.01);
  });

  it('is missing, not zero, with only one side measured', () => {
    const ms = analyseStdp({ dtS: [0.01, 0.02, 0.03, 0.04, 0.05], dwPercent: [50, 30, 20, 12, 7], conditions: {} });
    expect(m(ms, 'stdp.a_minus').status).toBe('missing');
    expect(m(ms, 'stdp.asymmetry').status).toBe('missing');
  });
});

describe('PPF (metrics.md §7)', () => {
  it('reports ratio and percent and chooses a double exponential when there are two time scales', () => {
    const intervals = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2, 3, 5];
    const pairs = intervals.map((dtS) => {
      const pct = 80 * Math.exp(-dtS / 0.05) + 40 * Math.exp(-dtS / 1.2);
      return { intervalS: dtS, a1: 1e-6, a2: 1e-6 * (1 + pct / 100) };
    });
    const ms = analysePpf(pairs, {});
    expect(v(ms, 'ppf.ratio')).toBeCloseTo(1 + (80 * Math.exp(-0.4) + 40 * Math.exp(-0.02 / 1.2)) / 100, 12);
    expect(v(ms, 'ppf.percent')).toBeCloseTo(80 * Math.exp(-0.4) + 40 * Math.exp(-0.02 / 1.2), 10);
    expect(m(ms, 'ppf.form').convention).toBe('double-exponential');
    expect(v(ms, 'ppf.tau1')).toBeCloseTo(0.05, 3);
    expect(v(ms, 'ppf.tau2')).toBeCloseTo(1.2, 2);
    expect(v(ms, 'ppf.tau1')).toBeLessThan(v(ms, 'ppf.tau2'));
  });

  it('chooses the single exponential for one time scale with noise', () => {
    const r = new Rng(4);
    const pairs = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2].map((dtS) => ({ intervalS: dtS, a1: 1, a2: 1 + (0.6 * Math.exp(-dtS / 0.15) + 0.005 * r.normal()) }));
    const ms = analysePpf(pairs, {});
    expect(m(ms, 'ppf.form').convention).toBe('single-exponential');
    expect(v(ms, 'ppf.tau1')).toBeCloseTo(0.15, 1);
    expect(m(ms, 'ppf.tau2').status).toBe('missing');
  });

  it('measures amplitudes as peak minus pre-pulse baseline', () => {
    const t = Array.from({ length: 100 }, (_, i) => i);
    const y = t.map((x) => 2 + (x >= 20 && x < 30 ? 5 : 0) + (x >= 60 && x < 70 ? 7 : 0));
    expect(pulseAmplitude(t, y, [0, 20], [20, 40])).toBe(5);
    expect(pulseAmplitude(t, y, [0, 20], [60, 80])).toBe(7);
  });
});

describe('retention (metrics.md §8)', () => {
  it('recovers a known stretched exponential and its derived quantities', () => {
    const tS = Array.from({ length: 40 }, (_, k) => 10 ** (-1 + (5 * k) / 39)); // 0.1 s … 10⁴ s, log-spaced
    const gInf = 20e-6;
    const dG = 60e-6;
    const tau = 300;
    const beta = 0.5;
    const g = tS.map((t) => gInf + dG * Math.exp(-Math.pow(t / tau, beta)));
    const ms = analyseRetention({ tS, g, gBefore: 10e-6, unit: 'S', conditions: {} });
    expect(v(ms, 'retention.tau') / tau).toBeCloseTo(1, 4);
    expect(v(ms, 'retention.beta')).toBeCloseTo(beta, 5);
    expect(v(ms, 'retention.mean_time') / ((tau / beta) * gamma(1 / beta))).toBeCloseTo(1, 3);
    const expected = (gInf + dG * Math.exp(-Math.pow(1000 / tau, beta)) - 10e-6) / (g[0] - 10e-6);
    expect(v(ms, 'retention.fraction', '1000s')).toBeCloseTo(expected, 4);
  });

  it('keeps β within (0, 1]', () => {
    const tS = Array.from({ length: 30 }, (_, k) => 10 ** (-1 + (4 * k) / 29));
    const g = tS.map((t) => 1 + Math.exp(-Math.pow(t / 50, 1.6))); // compressed, β > 1 is not allowed
    const ms = analyseRetention({ tS, g, gBefore: 0.5, unit: 'S', conditions: {} });
    expect(v(ms, 'retention.beta')).toBeLessThanOrEqual(1);
    expect(v(ms, 'retention.beta')).toBeGreaterThan(0);
  });
});

describe('polarization (metrics.md §9)', () => {
  it('PR ↔ d oracle', () => {
    expect(ratioFromDichroism(0.7)).toBeCloseTo(5.667, 3);
  });

  it('recovers I_max, I_min and φ exactly from a cos² response minus dark current', () => {
    const angles = Array.from({ length: 19 }, (_, k) => k * 10);
    const imin = 1e-9;
    const imax = 3.09e-9;
    const phi = 35;
    const dark = 0.2e-9;
    const light = angles.map((a) => dark + imin + (imax - imin) * Math.cos(((a - phi) * Math.PI) / 180) ** 2);
    const ms = analysePolarization({ angleDeg: angles, lightA: light, darkA: dark, conditions: { wavelength_nm: 532 } });
    expect(v(ms, 'polarization.ratio')).toBeCloseTo(3.09, 9);
    expect(v(ms, 'polarization.dichroism')).toBeCloseTo((imax - imin) / (imax + imin), 9);
    expect(v(ms, 'polarization.phase')).toBeCloseTo(35, 6);
    expect(v(ms, 'polarization.i_min')).toBeCloseTo(imin, 18);
  });

  it('refuses less than 180° of coverage', () => {
    const angles = [0, 20, 40, 60, 80, 100];
    const ms = analysePolarization({ angleDeg: angles, lightA: angles.map((a) => 1 + Math.cos((a * Math.PI) / 90)), darkA: 0, conditions: {} });
    expect(m(ms, 'polarization.ratio').status === 'missing' && (m(ms, 'polarization.ratio') as { reason: string }).reason).toMatch(/less than 180°/);
  });
});

describe('endurance (metrics.md §4)', () => {
  it('finds the first cycle of a 10-cycle run below the criterion', () => {
    const acc = new EnduranceAccumulator();
    for (let c = 1; c <= 1000; c++) {
      const w = c < 700 ? 10 : c < 705 ? 1.5 : c < 800 ? 10 : 1.2; // a 5-cycle dip is not a failure
      acc.push(1e-6, w * 1e-6);
    }
    const ms = acc.metrics({});
    expect(v(ms, 'endurance.cycles')).toBe(799);
    expect(m(ms, 'endurance.cycles').convention).toBe('failure');
    expect(acc.windowPerCycle().length).toBe(1000);
  });

  it('reports "≥ N" when the device never fails, and the CV of each state', () => {
    const acc = new EnduranceAccumulator({ keepWindow: false });
    const r = new Rng(1);
    for (let c = 0; c < 5000; c++) acc.push(1e-6 * (1 + 0.05 * r.normal()), 1e-4 * (1 + 0.02 * r.normal()));
    const ms = acc.metrics({});
    expect(v(ms, 'endurance.cycles')).toBe(5000);
    expect(m(ms, 'endurance.cycles').convention).toBe('lower-bound');
    expect(v(ms, 'cv.state', 'hrs')).toBeCloseTo(5, 0);
    expect(v(ms, 'cv.state', 'lrs')).toBeCloseTo(2, 0);
  });
});

describe('device-to-device variation and yield (metrics.md §3)', () => {
  it('computes σ/μ across devices and a yield with the criterion stored', () => {
    const d2d = deviceToDevice('dr.ratio:ltp', [{ device: 'a', value: 9 }, { device: 'b', value: 10 }, { device: 'c', value: 11 }, { device: 'd', value: null }], {});
    expect(d2d.status === 'value' && d2d.value).toBeCloseTo(10, 10);
    const metricsFor = (dr: number, states: number): Metric[] => [
      { id: 'dr.ratio', qualifier: 'ltp', unit: '1', method: '', conditions: {}, status: 'value', value: dr },
      { id: 'states.distinct', qualifier: 'ltp', unit: 'states', method: '', conditions: {}, status: 'value', value: states },
    ];
    const criterion = minimumsCriterion({ 'dr.ratio:ltp': 2, 'states.distinct:ltp': 20 }, cardKey);
    const y = deviceYield(
      [
        { device: 'A1', metrics: metricsFor(5, 50) },
        { device: 'A2', metrics: metricsFor(1.5, 50) },
        { device: 'A3', metrics: metricsFor(3, 10) },
        { device: 'A4', metrics: metricsFor(2, 20) },
      ],
      criterion,
      {},
    );
    expect(y.metric.status === 'value' && y.metric.value).toBe(50);
    expect(y.metric.convention).toBe('dr.ratio:ltp ≥ 2 and states.distinct:ltp ≥ 20');
    expect(y.pass).toEqual({ A1: true, A2: false, A3: false, A4: true });
  });
});

describe('fits recover their parameters across seeds (noise stated per case)', () => {
  const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
  const seeds = Array.from({ length: 30 }, (_, i) => i + 1);

  // Read noise 0.5 % of ΔG on 40 log-spaced reads: τ's standard error is then ≈ 1.5 %, so
  // the RMS error must stay under 3 %, and the standard errors must be calibrated.
  it('retention: τ and β of a stretched exponential', () => {
    const tS = Array.from({ length: 40 }, (_, k) => 10 ** (-1 + (5 * k) / 39));
    const errTau: number[] = [];
    const zTau: number[] = [];
    const errBeta: number[] = [];
    for (const seed of seeds) {
      const r = new Rng(seed);
      const g = tS.map((t) => 2e-5 + 6e-5 * Math.exp(-Math.pow(t / 300, 0.5)) + 6e-5 * 0.005 * r.normal());
      const ms = analyseRetention({ tS, g, gBefore: 1e-5, unit: 'S', conditions: {} });
      const tau = m(ms, 'retention.tau');
      if (tau.status !== 'value') throw new Error(tau.reason);
      errTau.push(tau.value / 300 - 1);
      zTau.push((tau.value - 300) / tau.stderr!);
      errBeta.push(v(ms, 'retention.beta') - 0.5);
    }
    expect(rms(errTau)).toBeLessThan(0.03);
    expect(rms(zTau)).toBeGreaterThan(0.7);
    expect(rms(zTau)).toBeLessThan(1.3);
    expect(rms(errBeta)).toBeLessThan(0.01);
  });

  // Photocurrent noise 1.4 % of the modulation on 19 angles: PR's standard error ≈ 1 %.
  it('polarization: PR and φ', () => {
    const angles = Array.from({ length: 19 }, (_, k) => k * 10);
    const errPr: number[] = [];
    const errPhi: number[] = [];
    for (const seed of seeds) {
      const r = new Rng(seed);
      const light = angles.map((a) => 1e-9 + 2.09e-9 * Math.cos(((a - 35) * Math.PI) / 180) ** 2 + 0.03e-9 * r.normal());
      const ms = analysePolarization({ angleDeg: angles, lightA: light, darkA: 0, conditions: {} });
      errPr.push(v(ms, 'polarization.ratio') / 3.09 - 1);
      errPhi.push(v(ms, 'polarization.phase') - 35);
    }
    expect(rms(errPr)).toBeLessThan(0.02);
    expect(rms(errPhi)).toBeLessThan(0.6);
  });

  // With one true time scale AIC should rarely prefer two exponentials (≈ 13 % seen);
  // at least 80 % of seeds must choose the single exponential.
  it('PPF: AIC picks the single exponential for single-scale data', () => {
    let single = 0;
    for (const seed of seeds) {
      const r = new Rng(seed);
      const pairs = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2].map((d) => ({ intervalS: d, a1: 1, a2: 1 + 0.6 * Math.exp(-d / 0.15) + 0.005 * r.normal() }));
      if (m(analysePpf(pairs, {}), 'ppf.form').convention === 'single-exponential') single++;
    }
    expect(single / seeds.length).toBeGreaterThanOrEqual(0.8);
  });
});

describe('die map (metrics.md §3)', () => {
  it('places devices by R<row>C<col> or X<col>Y<row> and marks pass/fail', async () => {
    const { dieMapMarkdown, positionFromName } = await import('../../analysis/die-map.ts');
    expect(positionFromName('W1-R3C5')).toEqual({ row: 3, col: 5 });
    expect(positionFromName('w2_x-1y4')).toEqual({ row: 4, col: -1 });
    expect(positionFromName('SIM-D1')).toBeNull();
    const map = dieMapMarkdown([
      { device: 'W1-R1C1', pass: true },
      { device: 'W1-R1C3', pass: false },
      { device: 'W1-R2C2', pass: true },
      { device: 'odd', pass: true },
    ])!;
    expect(map.split('\n').slice(0, 4)).toEqual(['| row \\ col | 1 | 2 | 3 |', '|---|---|---|---|', '| 1 | pass | · | FAIL |', '| 2 | · | pass | · |']);
    expect(map).toMatch(/Not on the map .*: odd/);
    expect(dieMapMarkdown([{ device: 'nothing', pass: true }])).toBeNull();
  });
});

describe('min/max decimation for plots', () => {
  it('keeps every bucket’s extremes in time order and passes short records through', async () => {
    const { decimateMinMax } = await import('../../analysis/decimate.ts');
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 500) + (i === 77_777 ? 50 : 0) + (i === 12_345 ? -50 : 0));
    const d = decimateMinMax(x, y, 2000);
    expect(d.x.length).toBeLessThanOrEqual(2000);
    expect(Math.max(...d.y)).toBe(y[77_777]);
    expect(Math.min(...d.y)).toBe(y[12_345]);
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]).toBeGreaterThan(d.x[i - 1]);
    expect(decimateMinMax([1, 2, 3], [4, 5, 6], 10)).toEqual({ x: [1, 2, 3], y: [4, 5, 6] });
    expect(() => decimateMinMax([1], [1], 1)).toThrow(/maxPoints must be at least 2/);
  });
});
