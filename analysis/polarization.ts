// Polarization sensitivity (metrics.md §9): photocurrent I_ph(θ) = I_light(θ) − I_dark,
// OLS fit of a + b·cos 2θ + c·sin 2θ; R = √(b² + c²), I_max = a + R, I_min = a − R,
// φ = ½·atan2(c, b); PR = I_max/I_min and d = (I_max − I_min)/(I_max + I_min).

import { Matrix, pseudoInverse } from 'ml-matrix';
import { maxOf, minOf } from './stats.ts';
import { type Conditions, type Metric, missing, present } from './metric.ts';

export interface PolarizationInput {
  angleDeg: number[];
  lightA: number[];
  /** Dark current: one value, or one per angle. */
  darkA: number | number[];
  unit?: string;
  conditions: Conditions;
}

export interface PolarizationFit {
  a: number;
  b: number;
  c: number;
  cov: number[][];
  iMax: number;
  iMin: number;
  phiDeg: number;
  nrmse: number;
}

/** Angular coverage of a set of angles on the 180°-periodic circle of a cos 2θ response. */
function coversHalfTurn(anglesDeg: number[]): boolean {
  const span = maxOf(anglesDeg) - minOf(anglesDeg);
  return span >= 180 - 1e-9;
}

export function fitPolarization(angleDeg: number[], iph: number[]): PolarizationFit | string {
  const pts = angleDeg.map((a, i) => [a, iph[i]] as const).filter(([a, y]) => Number.isFinite(a) && Number.isFinite(y));
  if (pts.length < 4) return `too few angles (${pts.length}; need at least 4)`;
  if (!coversHalfTurn(pts.map((p) => p[0]))) return `angles span less than 180° (${minOf(pts.map((p) => p[0]))}° to ${maxOf(pts.map((p) => p[0]))}°)`;
  const X = new Matrix(pts.map(([a]) => [1, Math.cos((2 * a * Math.PI) / 180), Math.sin((2 * a * Math.PI) / 180)]));
  const y = Matrix.columnVector(pts.map((p) => p[1]));
  const xtxInv = pseudoInverse(X.transpose().mmul(X));
  const beta = xtxInv.mmul(X.transpose()).mmul(y);
  const [a, b, c] = [beta.get(0, 0), beta.get(1, 0), beta.get(2, 0)];
  const resid = y.sub(X.mmul(beta));
  const sse = resid.to1DArray().reduce((s, v) => s + v * v, 0);
  const s2 = pts.length > 3 ? sse / (pts.length - 3) : 0;
  const r = Math.hypot(b, c);
  const ys = pts.map((p) => p[1]);
  const range = maxOf(ys) - minOf(ys);
  let phi = (0.5 * Math.atan2(c, b) * 180) / Math.PI;
  if (phi < 0) phi += 180;
  return { a, b, c, cov: xtxInv.mul(s2).to2DArray(), iMax: a + r, iMin: a - r, phiDeg: phi, nrmse: range > 0 ? Math.sqrt(sse / pts.length) / range : 0 };
}

/** Delta-method standard error of g(a, b, c). */
function propagate(fit: PolarizationFit, g: (p: number[]) => number): number {
  const p = [fit.a, fit.b, fit.c];
  const grad = p.map((v, i) => {
    const h = Math.max(Math.abs(v), 1e-30) * 1e-6;
    const up = [...p];
    const dn = [...p];
    up[i] += h;
    dn[i] -= h;
    return (g(up) - g(dn)) / (2 * h);
  });
  let s = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += grad[i] * grad[j] * fit.cov[i][j];
  return Math.sqrt(Math.max(0, s));
}

export function analysePolarization(input: PolarizationInput): Metric[] {
  const { conditions } = input;
  const dark = (i: number) => (Array.isArray(input.darkA) ? input.darkA[i] : input.darkA);
  const iph = input.lightA.map((v, i) => v - dark(i));
  const method = 'OLS of I_ph = a + b·cos 2θ + c·sin 2θ, I_ph = I_light − I_dark';
  const unit = input.unit ?? 'A';
  const fit = fitPolarization(input.angleDeg, iph);
  const ids: [string, string][] = [
    ['polarization.ratio', '1'],
    ['polarization.dichroism', '1'],
    ['polarization.phase', 'deg'],
    ['polarization.i_max', unit],
    ['polarization.i_min', unit],
  ];
  if (typeof fit === 'string') return ids.map(([id, u]) => missing({ id, unit: u, method, conditions }, fit));
  const q = { nrmse: fit.nrmse, points: input.angleDeg.length };
  const iMaxOf = ([a, b, c]: number[]) => a + Math.hypot(b, c);
  const iMinOf = ([a, b, c]: number[]) => a - Math.hypot(b, c);
  const out: Metric[] = [];
  const prBase = { id: 'polarization.ratio', unit: '1', method: `PR = I_max/I_min; ${method}`, conditions };
  const dBase = { id: 'polarization.dichroism', unit: '1', method: `d = (I_max − I_min)/(I_max + I_min); ${method}`, conditions };
  if (fit.iMin > 0) {
    out.push(present({ ...prBase, stderr: propagate(fit, (p) => iMaxOf(p) / iMinOf(p)), quality: q }, fit.iMax / fit.iMin));
  } else out.push(missing(prBase, `fitted I_min = ${fit.iMin.toPrecision(3)} ${unit} is not positive, so the ratio is undefined (d is still reported)`));
  const sum = fit.iMax + fit.iMin;
  out.push(sum !== 0 ? present({ ...dBase, stderr: propagate(fit, (p) => (iMaxOf(p) - iMinOf(p)) / (iMaxOf(p) + iMinOf(p))), quality: q }, (fit.iMax - fit.iMin) / sum) : missing(dBase, 'I_max + I_min = 0'));
  out.push(present({ id: 'polarization.phase', unit: 'deg', method: `φ = ½·atan2(c, b) in [0°, 180°); ${method}`, stderr: (propagate(fit, ([, b, c]) => 0.5 * Math.atan2(c, b)) * 180) / Math.PI, quality: q, conditions }, fit.phiDeg));
  out.push(present({ id: 'polarization.i_max', unit, method, stderr: propagate(fit, iMaxOf), quality: q, conditions }, fit.iMax));
  out.push(present({ id: 'polarization.i_min', unit, method, stderr: propagate(fit, iMinOf), quality: q, conditions }, fit.iMin));
  return out;
}

export function ratioFromDichroism(d: number): number {
  return (1 + d) / (1 - d);
}
