// Paired-pulse facilitation (metrics.md §7). A₁, A₂ = peak response minus the pre-pulse
// baseline for the two pulses; ppf.ratio = A₂/A₁ and ppf.percent = 100·(A₂/A₁ − 1),
// both reported at the shortest interval; PPF%(Δt) fitted with one and with two
// exponentials (τ₁ < τ₂), the lower AIC chosen and recorded as `ppf.form`.

import { maxAbs } from './stats.ts';
import { type CurveModel, fitCurve } from './curve-fit.ts';
import { type Conditions, type Metric, missing, present } from './metric.ts';

export interface PpfPair {
  intervalS: number;
  a1: number;
  a2: number;
}

/** A response amplitude: the peak within [from, to) minus the mean over the baseline window. */
export function pulseAmplitude(t: readonly number[], y: readonly number[], baseline: [number, number], window: [number, number]): number {
  let bSum = 0;
  let bN = 0;
  let peak = -Infinity;
  for (let i = 0; i < t.length; i++) {
    if (t[i] >= baseline[0] && t[i] < baseline[1] && Number.isFinite(y[i])) {
      bSum += y[i];
      bN++;
    }
    if (t[i] >= window[0] && t[i] < window[1] && y[i] > peak) peak = y[i];
  }
  return bN > 0 && peak > -Infinity ? peak - bSum / bN : NaN;
}

function decayModels(x: number[]): CurveModel[] {
  const span = Math.max(maxAbs(x), 1e-12);
  const lo = Math.max(Math.min(...x.filter((v) => v > 0)), span * 1e-4);
  return [
    {
      name: 'single-exponential',
      params: ['C1', 'tau1'],
      f: ([c, tau]) => (t) => c * Math.exp(-t / tau),
      amplitude: [true, false],
      starts: [0.1, 0.3, 1].map((fr) => [1, span * fr]),
      min: [-1e3, lo * 0.01],
      max: [1e3, span * 1e3],
    },
    {
      name: 'double-exponential',
      params: ['C1', 'tau1', 'C2', 'tau2'],
      f: ([c1, t1, c2, t2]) => (t) => c1 * Math.exp(-t / t1) + c2 * Math.exp(-t / t2),
      amplitude: [true, false, true, false],
      starts: [
        [0.6, lo * 2, 0.4, span * 0.5],
        [0.5, span * 0.05, 0.5, span],
        [0.8, lo, 0.2, span * 0.2],
      ],
      min: [-1e3, lo * 0.01, -1e3, lo * 0.01],
      max: [1e3, span * 1e3, 1e3, span * 1e3],
    },
  ];
}

export function analysePpf(pairs: PpfPair[], conditions: Conditions): Metric[] {
  const ok = pairs.filter((p) => Number.isFinite(p.intervalS) && p.intervalS > 0 && Number.isFinite(p.a1) && Number.isFinite(p.a2) && p.a1 !== 0);
  const out: Metric[] = [];
  const ratioBase = { id: 'ppf.ratio', unit: '1', method: 'A₂/A₁ at the shortest pulse interval (amplitudes = peak − pre-pulse baseline)', conditions };
  const pctBase = { id: 'ppf.percent', unit: '%', method: '100·(A₂/A₁ − 1) at the shortest pulse interval', conditions };
  if (ok.length === 0) {
    const why = pairs.length === 0 ? 'no pulse pairs' : 'no pulse pair with a finite, non-zero first amplitude and a positive interval';
    return [missing(ratioBase, why), missing(pctBase, why), missing({ id: 'ppf.form', unit: '1', method: 'AIC', conditions }, why)];
  }
  const sorted = [...ok].sort((a, b) => a.intervalS - b.intervalS);
  const first = sorted[0];
  out.push(present({ ...ratioBase, extra: { interval_s: first.intervalS } }, first.a2 / first.a1));
  out.push(present({ ...pctBase, extra: { interval_s: first.intervalS } }, 100 * (first.a2 / first.a1 - 1)));

  const x = sorted.map((p) => p.intervalS);
  const y = sorted.map((p) => 100 * (p.a2 / p.a1 - 1));
  const fits = decayModels(x).map((m) => fitCurve(x, y, m));
  const method = 'nonlinear least squares of PPF%(Δt); single vs double exponential chosen by AIC';
  const good = fits.flatMap((f) => (f.ok ? [f.fit] : []));
  const formBase = { id: 'ppf.form', unit: '1', method: 'lowest AIC among single and double exponential; value = AIC margin to the other', conditions };
  if (good.length === 0) {
    const why = fits.map((f) => (f.ok ? '' : f.reason)).join('; ');
    return [...out, missing(formBase, why), missing({ id: 'ppf.tau1', unit: 's', method, conditions }, why)];
  }
  good.sort((a, b) => a.aic - b.aic);
  const win = good[0];
  out.push(present({ ...formBase, convention: win.model, extra: Object.fromEntries(good.map((g) => [`aic_${g.model}`, g.aic])) }, good.length > 1 ? good[1].aic - win.aic : 0));
  // Order the time constants so τ₁ < τ₂ (the components are interchangeable).
  let comps = [{ c: win.values.C1, tau: win.values.tau1, se: win.stderr.tau1, seC: win.stderr.C1 }];
  if (win.model === 'double-exponential') {
    comps.push({ c: win.values.C2, tau: win.values.tau2, se: win.stderr.tau2, seC: win.stderr.C2 });
    comps = comps.sort((a, b) => a.tau - b.tau);
  }
  const q = { nrmse: win.nrmse, aic: win.aic, points: win.points };
  comps.forEach((c, i) => {
    out.push(present({ id: `ppf.tau${i + 1}`, unit: 's', method, convention: win.model, stderr: c.se, quality: q, conditions }, c.tau));
    out.push(present({ id: `ppf.c${i + 1}`, unit: '%', method, convention: win.model, stderr: c.seC, quality: q, conditions }, c.c));
  });
  if (comps.length === 1) out.push(missing({ id: 'ppf.tau2', unit: 's', method, conditions }, 'the single exponential fits better by AIC'));
  return out;
}
