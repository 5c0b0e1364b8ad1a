// One-dimensional minimisation: a coarse scan over a caller-given grid to find the
// basin, then golden-section refinement between the neighbours of the best grid point.
// Deterministic, derivative-free, and robust for the unimodal-in-the-basin objectives
// of the separable (variable-projection) fits here.

export interface Minimum {
  x: number;
  f: number;
  /** True when the best grid point was at either end of the grid. */
  atBound: boolean;
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** `refine` (default f) is used for the golden-section phase, e.g. a slower but more accurate objective. */
export function minimize1d(f: (x: number) => number, grid: readonly number[], tol = 1e-10, refine: (x: number) => number = f): Minimum {
  let best = -1;
  let bestF = Infinity;
  for (let i = 0; i < grid.length; i++) {
    const v = f(grid[i]);
    if (v < bestF) {
      bestF = v;
      best = i;
    }
  }
  if (best < 0) return { x: NaN, f: NaN, atBound: true };
  const atBound = best === 0 || best === grid.length - 1;
  let a = grid[Math.max(0, best - 1)];
  let b = grid[Math.min(grid.length - 1, best + 1)];
  let c = b - GOLDEN * (b - a);
  let d = a + GOLDEN * (b - a);
  let fc = refine(c);
  let fd = refine(d);
  const bestRefined = refine(grid[best]);
  for (let i = 0; i < 200 && Math.abs(b - a) > tol * Math.max(1, Math.abs(c)); i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - GOLDEN * (b - a);
      fc = refine(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + GOLDEN * (b - a);
      fd = refine(d);
    }
  }
  const x = (a + b) / 2;
  const fx = refine(x);
  return fx <= bestRefined ? { x, f: fx, atBound } : { x: grid[best], f: bestRefined, atBound };
}

/** 0 and ±10^p for p on an even grid: resolves both nearly linear and very steep curves. */
export function symmetricLogGrid(minAbs: number, maxAbs: number, perSide: number): number[] {
  const out: number[] = [];
  const l0 = Math.log10(minAbs);
  const l1 = Math.log10(maxAbs);
  for (let i = perSide - 1; i >= 0; i--) out.push(-(10 ** (l0 + ((l1 - l0) * i) / (perSide - 1))));
  out.push(0);
  for (let i = 0; i < perSide; i++) out.push(10 ** (l0 + ((l1 - l0) * i) / (perSide - 1)));
  return out;
}
