import { describe, expect, it } from 'vitest';
import { MAX_NL_LABEL, aFromNlLabel, maxDeviation, nlLabelFromA, xOfY, yNu } from '../../analysis/exp-model.ts';

describe('exponential weight-update model (metrics.md §1)', () => {
  it('reproduces the NL ↔ A oracles of metrics.md', () => {
    const oracles: [number, number][] = [
      [1, 1.251653],
      [2, 0.609035],
      [6, 0.135619],
    ];
    for (const [nl, a] of oracles) {
      expect(nlLabelFromA(a)).toBeCloseTo(nl, 5);
      expect(aFromNlLabel(nl)).toBeCloseTo(a, 5);
      // The sign convention: a convex curve (A < 0) has a negative label of the same size.
      expect(nlLabelFromA(-a)).toBeCloseTo(-nl, 5);
      expect(aFromNlLabel(-nl)).toBeCloseTo(-a, 5);
    }
  });

  it('gives the labels the default simulated device is specified with', () => {
    expect(nlLabelFromA(0.5)).toBeCloseTo(2.4, 1);
    expect(nlLabelFromA(-0.3)).toBeCloseTo(-3.69, 2);
  });

  it('pins the curve ends and is the straight line in the linear limit', () => {
    for (const nu of [-20, -1, -1e-9, 0, 1e-9, 0.7, 30]) {
      expect(yNu(0, nu)).toBeCloseTo(0, 12);
      expect(yNu(1, nu)).toBeCloseTo(1, 12);
    }
    expect(yNu(0.3, 0)).toBe(0.3);
    expect(yNu(0.3, 1e-8)).toBeCloseTo(0.3, 8);
  });

  it('inverts y(x) exactly', () => {
    for (const nu of [-8, -0.5, 0, 2, 12]) {
      for (const x of [0, 0.1, 0.5, 0.93, 1]) expect(xOfY(yNu(x, nu), nu)).toBeCloseTo(x, 10);
    }
  });

  it('computes the largest deviation from the diagonal in closed form (checked by brute force)', () => {
    for (const nu of [-40, -3.3, -0.2, 1e-5, 0.8, 5, 60]) {
      let best = 0;
      for (let i = 0; i <= 200_000; i++) {
        const x = i / 200_000;
        const d = yNu(x, nu) - x;
        if (Math.abs(d) > Math.abs(best)) best = d;
      }
      expect(maxDeviation(nu)).toBeCloseTo(best, 8);
    }
  });

  it('has no label beyond the saturation bound and returns NaN there', () => {
    expect(Number.isNaN(aFromNlLabel(MAX_NL_LABEL + 0.1))).toBe(true);
    expect(Math.abs(nlLabelFromA(1e-4))).toBeLessThan(MAX_NL_LABEL);
    expect(aFromNlLabel(0)).toBe(Infinity);
  });
});
