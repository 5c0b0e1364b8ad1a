// Nonlinear least squares for the metric fits (STDP windows, PPF decays, retention):
// Levenberg–Marquardt (analysis/lm.ts), started from several initial
// guesses (best SSE wins), on y scaled to order 1 so the library's absolute tolerances
// and finite-difference steps suit any unit. Standard errors come from the Gauss–Newton
// covariance s²·(JᵀJ)⁻¹ at the optimum; AIC is the least-squares form m·ln(SSE/m) + 2k.

import { levenbergMarquardt } from './lm.ts';
import { maxAbs, maxOf, minOf } from './stats.ts';
import { Matrix, pseudoInverse } from 'ml-matrix';
import type { FitOutcome } from './nonlinearity.ts';

export interface CurveModel {
  name: string;
  params: string[];
  /** Model in scaled units: amplitude-like parameters are in units of the y scale. */
  f: (p: readonly number[]) => (x: number) => number;
  /** Which parameters scale with y (reported multiplied back by the y scale). */
  amplitude: boolean[];
  starts: number[][];
  min?: number[];
  max?: number[];
}

export interface CurveFit {
  model: string;
  values: Record<string, number>;
  stderr: Record<string, number>;
  sse: number;
  aic: number;
  /** RMSE divided by the range of y. */
  nrmse: number;
  points: number;
  /** Parameters that ended on one of their bounds: the data do not determine them. */
  atBound: { param: string; bound: 'lower' | 'upper'; value: number }[];
  predict: (x: number) => number;
}

function sseOf(f: (x: number) => number, x: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (y[i] - f(x[i])) ** 2;
  return s;
}

/** Above this many points the starts are compared on a strided subset first. */
const SUBSET_POINTS = 4000;

export function aic(sse: number, points: number, k: number): number {
  return points * Math.log(Math.max(sse, 1e-300) / points) + 2 * k;
}

export function fitCurve(xIn: readonly number[], yIn: readonly number[], model: CurveModel): FitOutcome<CurveFit> {
  const k = model.params.length;
  const pairs = xIn.map((x, i) => [x, yIn[i]] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pairs.length < k + 2) return { ok: false, reason: `too few finite points (${pairs.length}; the ${model.name} fit needs at least ${k + 2})` };
  const x = pairs.map((p) => p[0]);
  const yRaw = pairs.map((p) => p[1]);
  const scale = maxAbs(yRaw);
  if (!(scale > 0)) return { ok: false, reason: 'all responses are zero' };
  const y = yRaw.map((v) => v / scale);

  // Many points: the starts compete on an evenly strided subset, and only the winner is
  // refined on every point (the same optimum, at a fraction of the cost).
  const stride = Math.max(1, Math.floor(x.length / SUBSET_POINTS));
  const xs = stride > 1 ? x.filter((_, i) => i % stride === 0) : x;
  const ys = stride > 1 ? y.filter((_, i) => i % stride === 0) : y;
  let best: { p: number[]; sse: number } | null = null;
  for (const start of model.starts) {
    try {
      const r = levenbergMarquardt({ x: xs, y: ys }, model.f, { initialValues: start, minValues: model.min, maxValues: model.max, maxIterations: 300 });
      const p = r.parameterValues;
      if (!p.every(Number.isFinite)) continue;
      const sse = sseOf(model.f(p), xs, ys);
      if (Number.isFinite(sse) && (!best || sse < best.sse)) best = { p, sse };
    } catch {
      // a start that fails numerically is simply not a candidate
    }
  }
  if (best && stride > 1) {
    const r = levenbergMarquardt({ x, y }, model.f, { initialValues: best.p, minValues: model.min, maxValues: model.max, maxIterations: 300 });
    const sse = sseOf(model.f(r.parameterValues), x, y);
    best = r.parameterValues.every(Number.isFinite) && Number.isFinite(sse) ? { p: r.parameterValues, sse } : null;
  }
  if (!best) return { ok: false, reason: `the ${model.name} fit did not converge from any start` };

  const m = x.length;
  const f = model.f(best.p);
  const J = new Matrix(m, k);
  for (let j = 0; j < k; j++) {
    const h = Math.max(Math.abs(best.p[j]), 1e-6) * 1e-6;
    const up = [...best.p];
    const dn = [...best.p];
    up[j] += h;
    dn[j] -= h;
    const fu = model.f(up);
    const fd = model.f(dn);
    for (let i = 0; i < m; i++) J.set(i, j, (fu(x[i]) - fd(x[i])) / (2 * h));
  }
  const s2 = m > k ? best.sse / (m - k) : NaN;
  let cov: Matrix | null = null;
  try {
    cov = pseudoInverse(J.transpose().mmul(J)).mul(s2);
  } catch {
    cov = null;
  }
  const values: Record<string, number> = {};
  const stderr: Record<string, number> = {};
  model.params.forEach((name, j) => {
    const factor = model.amplitude[j] ? scale : 1;
    values[name] = best!.p[j] * factor;
    stderr[name] = cov ? Math.sqrt(Math.max(0, cov.get(j, j))) * factor : NaN;
  });
  const yRange = maxOf(yRaw) - minOf(yRaw);
  const sseRaw = best.sse * scale * scale;
  return {
    ok: true,
    fit: {
      model: model.name,
      values,
      stderr,
      sse: sseRaw,
      aic: aic(sseRaw, m, k),
      nrmse: yRange > 0 ? Math.sqrt(sseRaw / m) / yRange : NaN,
      points: m,
      atBound: boundParams(model, best.p, scale),
      predict: (xv: number) => f(xv) * scale,
    },
  };
}

/** Parameters within 10⁻⁶ (relative) of a bound, in reported units. */
function boundParams(model: CurveModel, p: readonly number[], scale: number): CurveFit['atBound'] {
  const out: CurveFit['atBound'] = [];
  const near = (v: number, b: number) => Math.abs(v - b) <= 1e-6 * Math.max(Math.abs(b), 1e-30);
  model.params.forEach((param, j) => {
    const factor = model.amplitude[j] ? scale : 1;
    if (model.min && near(p[j], model.min[j])) out.push({ param, bound: 'lower', value: model.min[j] * factor });
    else if (model.max && near(p[j], model.max[j])) out.push({ param, bound: 'upper', value: model.max[j] * factor });
  });
  return out;
}
