import { describe, expect, it } from 'vitest';
import { levenbergMarquardt, solveSmall } from '../../analysis/lm.ts';
import { Rng } from '../../drivers/sim/rng.ts';

describe('Levenberg–Marquardt', () => {
  it('solves small linear systems and reports singular ones', () => {
    expect(solveSmall([[2, 1], [1, 3]], [3, 5])!.map((v) => +v.toFixed(12))).toEqual([0.8, 1.4]);
    expect(solveSmall([[1, 2], [2, 4]], [1, 2])).toBeNull();
  });

  it('recovers an exponential from noisy data and stays within bounds', () => {
    const r = new Rng(3);
    const x = Array.from({ length: 2000 }, (_, i) => i / 20000);
    const y = x.map((t) => 0.8 * Math.exp(-t / 0.02) + 0.01 * r.normal());
    const model = ([a, tau]: readonly number[]) => (t: number) => a * Math.exp(-t / tau);
    const fit = levenbergMarquardt({ x, y }, model, { initialValues: [1, 0.1] });
    expect(fit.parameterValues[0]).toBeCloseTo(0.8, 2);
    expect(fit.parameterValues[1]).toBeCloseTo(0.02, 3);
    const bounded = levenbergMarquardt({ x, y }, model, { initialValues: [1, 0.1], minValues: [0, 0.05], maxValues: [2, 1] });
    expect(bounded.parameterValues[1]).toBeGreaterThanOrEqual(0.05);
    expect(bounded.sse).toBeGreaterThan(fit.sse);
  });
});
