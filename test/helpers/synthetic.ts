import { yNu } from '../../analysis/exp-model.ts';
import { Rng } from '../../drivers/sim/rng.ts';

/** G_0 … G_n on the exponential model with additive Gaussian read noise (σ as a fraction of ΔG). */
export function syntheticRamp(a: number, n: number, noise: number, seed: number, gMin = 2e-5, dG = 8e-5): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n + 1 }, (_, k) => gMin + dG * yNu(k / n, 1 / a) + dG * noise * r.normal());
}

/** A wide LTP/LTD CSV (header ltp,ltd; one row per pulse) of one noisy cycle on the exponential model. */
export function syntheticLtpLtdCsv(aLtp: number, aLtd: number, n: number, seed: number): string {
  const ltp = syntheticRamp(aLtp, n, 0.01, seed);
  // The depression ramp starts high: the mirrored-frame curve read backwards.
  const ltd = syntheticRamp(aLtd, n, 0.01, seed + 1).reverse();
  return ['ltp,ltd', ...ltp.map((g, k) => `${g},${ltd[k]}`)].join('\n') + '\n';
}
