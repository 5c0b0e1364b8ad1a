// The exponential weight-update model of metrics.md §1 (NeuroSim, aihwkit soft-bounds,
// CrossSim): y_A(x) = (1 − e^(−x/A)) / (1 − e^(−1/A)), x ∈ [0, 1].
// Internally parametrised by ν = 1/A (ν = 0 is the straight line), which keeps the
// linear limit finite and the fit well conditioned.

const SMALL_NU = 1e-6;

/** y(x; ν) with the linear limit handled exactly (expm1 avoids cancellation). */
export function yNu(x: number, nu: number): number {
  if (Math.abs(nu) < SMALL_NU) return x + (nu / 2) * x * (1 - x);
  return Math.expm1(-nu * x) / Math.expm1(-nu);
}

/** Fills out[k] = y(x[k]; ν) — the hot loop of the fits, with the denominator hoisted. */
export function fillY(x: ArrayLike<number>, nu: number, out: Float64Array): Float64Array {
  if (Math.abs(nu) < SMALL_NU) {
    for (let k = 0; k < out.length; k++) out[k] = x[k] + (nu / 2) * x[k] * (1 - x[k]);
  } else {
    const inv = 1 / Math.expm1(-nu);
    for (let k = 0; k < out.length; k++) out[k] = Math.expm1(-nu * x[k]) * inv;
  }
  return out;
}

/** Inverse of yNu on [0, 1]: the position x at which the normalised curve reaches y. */
export function xOfY(y: number, nu: number): number {
  const yc = Math.min(1, Math.max(0, y));
  if (Math.abs(nu) < SMALL_NU) return yc;
  return -Math.log1p(yc * Math.expm1(-nu)) / nu;
}

/** ∂y/∂ν, used for the fit's Jacobian (central difference; y is smooth in ν). */
export function dyDnu(x: number, nu: number): number {
  const h = 1e-6 * Math.max(1, Math.abs(nu));
  return (yNu(x, nu + h) - yNu(x, nu - h)) / (2 * h);
}

/**
 * Signed largest distance of the normalised curve from the diagonal, max over x of
 * (y(x) − x) (the minimum when ν < 0). Closed form: y'(x*) = 1 gives
 * x* = ln(ν / (1 − e^(−ν))) / ν and y(x*) = 1/(1 − e^(−ν)) − 1/ν.
 */
export function maxDeviation(nu: number): number {
  if (Math.abs(nu) < 1e-4) return nu / 8; // series: y ≈ x + (ν/2)·x(1−x)
  if (nu > 700) return 1 - (Math.log(nu) + 1) / nu; // e^(−ν) underflows; limits of the terms
  if (nu < -700) return -maxDeviation(-nu);
  const denom = -Math.expm1(-nu); // 1 − e^(−ν)
  const xStar = Math.log(nu / denom) / nu;
  return 1 / denom - 1 / nu - xStar;
}

/** NeuroSim's maxdev = 0.07·√2·NL relation. */
export const NEUROSIM_DEV_PER_LABEL = 0.07 * Math.SQRT2;
/** |maxdev| < 1, so no label beyond this exists. */
export const MAX_NL_LABEL = 1 / NEUROSIM_DEV_PER_LABEL;

export function nlLabelFromNu(nu: number): number {
  return maxDeviation(nu) / NEUROSIM_DEV_PER_LABEL;
}

export function nlLabelFromA(a: number): number {
  return nlLabelFromNu(1 / a);
}

/**
 * Inverse of nlLabelFromNu by bisection (maxDeviation is strictly increasing in ν).
 * Returns NaN when |label| is not reachable (|label| ≥ MAX_NL_LABEL).
 */
export function nuFromNlLabel(label: number): number {
  if (!Number.isFinite(label) || Math.abs(label) >= MAX_NL_LABEL) return NaN;
  if (label === 0) return 0;
  const target = label * NEUROSIM_DEV_PER_LABEL;
  let lo = label > 0 ? 0 : -1;
  let hi = label > 0 ? 1 : 0;
  while (maxDeviation(hi) < target) hi *= 2;
  while (maxDeviation(lo) > target) lo *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (maxDeviation(mid) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function aFromNlLabel(label: number): number {
  const nu = nuFromNlLabel(label);
  return nu === 0 ? Infinity : 1 / nu;
}
