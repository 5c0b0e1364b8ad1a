// Retention (metrics.md §8): G(t) = G_∞ + ΔG·e^(−(t/τ)^β), 0 < β ≤ 1, on log-spaced
// reads after programming. Reports τ, β, the mean relaxation time (τ/β)·Γ(1/β), and the
// retained fraction (G(t) − G_before)/(G_0+ − G_before) at 10 s, 10³ s and 10⁴ s from
// the fit (flagged `extrapolated` beyond the last read).

import { gamma } from 'simple-statistics';
import { maxAbs, maxOf, minOf } from './stats.ts';
import { type CurveModel, fitCurve } from './curve-fit.ts';
import { type Conditions, type Metric, missing, present } from './metric.ts';

export interface RetentionInput {
  /** Time since the end of programming, s. */
  tS: number[];
  g: number[];
  /** Conductance before programming (for the retained fraction). */
  gBefore: number;
  unit: string;
  conditions: Conditions;
}

export const RETAINED_AT_S = [10, 1e3, 1e4];

function stretched(t: number[], g: number[]): CurveModel {
  const tPos = t.filter((v) => v > 0);
  const tMid = Math.exp(tPos.reduce((s, v) => s + Math.log(v), 0) / Math.max(1, tPos.length));
  const scale = maxAbs(g);
  const last = g[g.length - 1] / scale;
  const first = g[0] / scale;
  const tMax = maxOf(t);
  return {
    name: 'stretched-exponential',
    params: ['g_inf', 'delta_g', 'tau', 'beta'],
    f: ([gi, dg, tau, beta]) => (x) => gi + dg * Math.exp(-Math.pow(Math.max(x, 0) / tau, beta)),
    amplitude: [true, true, false, false],
    starts: [0.3, 0.6, 1].flatMap((beta) => [0.1, 1, 10].map((fr) => [last, first - last, tMid * fr, beta])),
    min: [-10, -10, Math.max(1e-9, minOf(tPos) * 1e-3), 0.05],
    max: [10, 10, tMax * 1e4, 1],
  };
}

export function analyseRetention(input: RetentionInput): Metric[] {
  const { conditions } = input;
  const method = 'nonlinear least squares of G_∞ + ΔG·exp(−(t/τ)^β), 0 < β ≤ 1';
  const ids = ['retention.tau', 'retention.beta', 'retention.mean_time'];
  const fracBase = (t: number) => ({ id: 'retention.fraction', qualifier: `${t}s`, unit: '1', method: 'retained fraction (G(t) − G_before)/(G_0+ − G_before) from the fit', conditions });
  const fail = (why: string): Metric[] => [
    ...ids.map((id) => missing({ id, unit: id === 'retention.beta' ? '1' : 's', method, conditions }, why)),
    ...RETAINED_AT_S.map((t) => missing(fracBase(t), why)),
  ];
  const pts = input.tS.map((t, i) => [t, input.g[i]] as const).filter(([t, g]) => Number.isFinite(t) && t >= 0 && Number.isFinite(g));
  if (pts.length < 6) return fail(`too few reads (${pts.length}; need at least 6)`);
  const t = pts.map((p) => p[0]);
  const g = pts.map((p) => p[1]);
  const r = fitCurve(t, g, stretched(t, g));
  if (!r.ok) return fail(r.reason);
  const { tau, beta } = r.fit.values;
  const q = { nrmse: r.fit.nrmse, aic: r.fit.aic, points: r.fit.points };
  const extra = { g_inf: r.fit.values.g_inf, delta_g: r.fit.values.delta_g };
  const out: Metric[] = [
    present({ id: 'retention.tau', unit: 's', method, stderr: r.fit.stderr.tau, quality: q, extra, conditions }, tau),
    present({ id: 'retention.beta', unit: '1', method, stderr: r.fit.stderr.beta, quality: q, conditions }, beta),
    present({ id: 'retention.mean_time', unit: 's', method: 'mean relaxation time (τ/β)·Γ(1/β) of the fit', quality: q, conditions }, (tau / beta) * gamma(1 / beta)),
  ];
  const g0 = g[0];
  const denom = g0 - input.gBefore;
  const tLast = maxOf(t);
  for (const at of RETAINED_AT_S) {
    if (!Number.isFinite(input.gBefore) || denom === 0) {
      out.push(missing(fracBase(at), 'needs the conductance before programming, different from the first read after it'));
      continue;
    }
    out.push(present({ ...fracBase(at), extra: { extrapolated: at > tLast ? 1 : 0 } }, (r.fit.predict(at) - input.gBefore) / denom));
  }
  return out;
}
