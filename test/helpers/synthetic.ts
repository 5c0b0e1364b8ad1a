import { yNu } from '../../analysis/exp-model.ts';
import { Rng } from '../../drivers/sim/rng.ts';

/** G_0 … G_n on the exponential model with additive Gaussian read noise (σ as a fraction of ΔG). */
export function syntheticRamp(a: number, n: number, noise: number, seed: number, gMin = 2e-5, dG = 8e-5): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n + 1 }, (_, k) => gMin + dG * yNu(k / n, 1 / a) + dG * noise * r.normal());
}
