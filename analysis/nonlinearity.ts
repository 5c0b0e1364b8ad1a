// Weight-update nonlinearity fits of metrics.md §1.
// `nl.lsq3`: G_k ≈ G_start + ΔG·y(x_k; ν), three free parameters. For fixed ν the
// problem is linear in (G_start, ΔG), so we solve it in closed form and search ν alone
// (variable projection): exact for the linear part, no starting guess to get wrong.

import { dyDnu, fillY, nlLabelFromNu, yNu } from './exp-model.ts';
import { maxOf, minOf } from './stats.ts';
import { minimize1d, symmetricLogGrid } from './minimize.ts';

export const MIN_FIT_POINTS = 5;
/** |ν| beyond this is a step function for any practical pulse count (NL label > 9.5). */
export const NU_SEARCH_MAX = 300;
// 30 points a side locate the basin; golden-section search then pins the minimum.
const NU_GRID = symmetricLogGrid(1e-3, NU_SEARCH_MAX, 30);

export type FitOutcome<T> = { ok: true; fit: T } | { ok: false; reason: string };

export interface ExpFit {
  gStart: number;
  deltaG: number;
  nu: number;
  /** A = 1/ν; ±Infinity for a straight line. */
  a: number;
  nlLabel: number;
  stderrNu: number;
  stderrLabel: number;
  sse: number;
  /** RMSE / |ΔG|. */
  nrmse: number;
  points: number;
  /** Fitted model at each x_k. */
  model: number[];
}

export function positions(count: number): number[] {
  const n = count - 1;
  return Array.from({ length: count }, (_, k) => k / n);
}

function checkCurve(g: readonly number[]): string | null {
  if (g.length < MIN_FIT_POINTS) return `too few points (${g.length}; need at least ${MIN_FIT_POINTS})`;
  for (let k = 0; k < g.length; k++) {
    if (!Number.isFinite(g[k])) return `read ${k} is not a finite number (${g[k]})`;
  }
  const lo = minOf(g);
  const hi = maxOf(g);
  if (!(hi > lo)) return 'conductance does not change along the ramp';
  return null;
}

/**
 * SSE of the best (G_start, ΔG) for a given ν, as a function of ν: one allocation-free
 * pass per call over centred, scaled data (the shape of the curve is all ν changes).
 */
function profileSse(g: readonly number[], x: readonly number[]): (nu: number) => number {
  const m = g.length;
  let mean = 0;
  for (const v of g) mean += v / m;
  let scale = 0;
  for (const v of g) scale = Math.max(scale, Math.abs(v - mean));
  const gc = Float64Array.from(g, (v) => (v - mean) / scale);
  let sgg = 0;
  for (const v of gc) sgg += v * v;
  const yBuf = new Float64Array(m);
  return (nu: number) => {
    fillY(x, nu, yBuf);
    let sy = 0;
    let syy = 0;
    let syg = 0;
    for (let k = 0; k < m; k++) {
      const y = yBuf[k];
      sy += y;
      syy += y * y;
      syg += y * gc[k];
    }
    const vyy = syy - (sy * sy) / m;
    const sse = vyy > 0 ? sgg - (syg * syg) / vyy : sgg; // Σgc = 0, so the cross term needs no correction
    return Math.max(0, sse) * scale * scale;
  };
}

/** Linear least squares of g ≈ a + b·y for given y; returns the SSE too. */
function linearPart(g: readonly number[], y: ArrayLike<number>): { a: number; b: number; sse: number } {
  const m = g.length;
  let sy = 0;
  let sg = 0;
  for (let k = 0; k < m; k++) {
    sy += y[k];
    sg += g[k];
  }
  const my = sy / m;
  const mg = sg / m;
  let syy = 0;
  let syg = 0;
  for (let k = 0; k < m; k++) {
    syy += (y[k] - my) ** 2;
    syg += (y[k] - my) * (g[k] - mg);
  }
  const b = syy > 0 ? syg / syy : 0;
  const a = mg - b * my;
  let sse = 0;
  for (let k = 0; k < m; k++) sse += (g[k] - a - b * y[k]) ** 2;
  return { a, b, sse };
}

function inverse3(m: number[][]): number[][] | null {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-300) return null;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/**
 * The standard fit `nl.lsq3` of one rising curve (mirror an LTD train before calling),
 * at x_k = k/n; or, with `xIn`, of points at those positions (ramps of different
 * lengths pooled, each at k/n_r of its own).
 */
export function fitLsq3(g: readonly number[], xIn?: readonly number[]): FitOutcome<ExpFit> {
  const bad = checkCurve(g);
  if (bad) return { ok: false, reason: bad };
  if (xIn && xIn.length !== g.length) return { ok: false, reason: `${xIn.length} positions for ${g.length} reads` };
  const x = xIn ?? positions(g.length);
  // Fast one-pass SSE to find the basin; exact residuals to pin the minimum (the one-pass
  // form loses precision to cancellation when the fit is nearly perfect).
  const scratch = new Float64Array(g.length);
  const exactSse = (nu: number) => {
    return linearPart(g, fillY(x, nu, scratch)).sse;
  };
  const best = minimize1d(profileSse(g, x), NU_GRID, 1e-10, exactSse);
  if (!Number.isFinite(best.x)) return { ok: false, reason: 'fit did not converge' };
  if (best.atBound && Math.abs(best.x) >= NU_SEARCH_MAX * 0.999) {
    return { ok: false, reason: `fit did not converge: curve steeper than the model resolves (|1/A| ≥ ${NU_SEARCH_MAX})` };
  }
  const nu = best.x;
  const y = x.map((xk) => yNu(xk, nu));
  const { a: gStart, b: deltaG, sse } = linearPart(g, y);
  const m = g.length;
  const model = y.map((yk) => gStart + deltaG * yk);

  // Standard errors from the Gauss–Newton covariance s²·(JᵀJ)⁻¹ at the optimum.
  const jtj = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let k = 0; k < m; k++) {
    const row = [1, y[k], deltaG * dyDnu(x[k], nu)];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) jtj[r][c] += row[r] * row[c];
  }
  const inv = inverse3(jtj);
  const s2 = sse / (m - 3);
  const stderrNu = inv ? Math.sqrt(Math.max(0, s2 * inv[2][2])) : NaN;
  const h = 1e-6 * Math.max(1, Math.abs(nu));
  const dLabel = (nlLabelFromNu(nu + h) - nlLabelFromNu(nu - h)) / (2 * h);

  return {
    ok: true,
    fit: {
      gStart,
      deltaG,
      nu,
      a: nu === 0 ? Infinity : 1 / nu,
      nlLabel: nlLabelFromNu(nu),
      stderrNu,
      stderrLabel: Math.abs(dLabel) * stderrNu,
      sse,
      nrmse: Math.sqrt(sse / m) / Math.abs(deltaG),
      points: m,
      model,
    },
  };
}

/** Min/max normalisation to [0, 1] (how most published labels were made). */
export function normaliseMinMax(g: readonly number[]): number[] {
  const lo = minOf(g);
  const hi = maxOf(g);
  return g.map((v) => (v - lo) / (hi - lo));
}

export interface ManualFit {
  nu: number;
  a: number;
  nlLabel: number;
  nrmse: number;
}

/** `nl.neurosim-manual`: endpoints pinned by min/max normalisation, only ν fitted. */
export function fitNeuroSimManual(g: readonly number[]): FitOutcome<ManualFit> {
  const bad = checkCurve(g);
  if (bad) return { ok: false, reason: bad };
  const gn = normaliseMinMax(g);
  const x = positions(g.length);
  const sse = (nu: number) => {
    let s = 0;
    for (let k = 0; k < gn.length; k++) s += (gn[k] - yNu(x[k], nu)) ** 2;
    return s;
  };
  const best = minimize1d(sse, NU_GRID);
  if (best.atBound && Math.abs(best.x) >= NU_SEARCH_MAX * 0.999) {
    return { ok: false, reason: `fit did not converge: curve steeper than the model resolves (|1/A| ≥ ${NU_SEARCH_MAX})` };
  }
  return {
    ok: true,
    fit: {
      nu: best.x,
      a: best.x === 0 ? Infinity : 1 / best.x,
      nlLabel: nlLabelFromNu(best.x),
      nrmse: Math.sqrt(best.f / gn.length),
    },
  };
}

/**
 * Model-free nonlinearity: the signed largest deviation of the min/max-normalised
 * curve from the diagonal (positive = above it, a saturating curve).
 */
export function maxDeviationFromLinear(g: readonly number[]): FitOutcome<{ maxDev: number; atIndex: number }> {
  const bad = checkCurve(g);
  if (bad) return { ok: false, reason: bad };
  const gn = normaliseMinMax(g);
  const x = positions(g.length);
  let dev = 0;
  let at = 0;
  for (let k = 0; k < gn.length; k++) {
    const d = gn[k] - x[k];
    if (Math.abs(d) > Math.abs(dev)) {
      dev = d;
      at = k;
    }
  }
  return { ok: true, fit: { maxDev: dev, atIndex: at } };
}

/** NeuroSim convention: an LTD train read backwards so that it rises from x = 0. */
export function mirrorLtd(g: readonly number[]): number[] {
  return [...g].reverse();
}
