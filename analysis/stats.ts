// Small descriptive statistics. `median` and `medianCurve` ignore non-finite values (a
// NaN sorts nowhere, so it would otherwise land anywhere); mean and sampleStd expect
// finite input. Empty input gives NaN rather than an exception.

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (ddof = 1). */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function allFinite(xs: readonly number[]): boolean {
  for (const x of xs) if (!Number.isFinite(x)) return false;
  return true;
}

/** Median absolute deviation scaled to σ for normal data (1.4826·MAD); NaN for no finite input. */
export function robustSigma(xs: readonly number[]): number {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

/** Element-wise median of curves, over the curves long enough and finite at each position (the cycle-median curve). */
export function medianCurve(curves: readonly (readonly number[])[]): number[] {
  if (curves.length === 0) return [];
  const n = maxOf(curves.map((c) => c.length));
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = median(curves.flatMap((c) => (k < c.length ? [c[k]] : [])));
  return out;
}

/** Largest finite value (−Infinity for none). A loop, not Math.max(...xs): safe for any length. */
export function maxOf(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i] > m) m = xs[i];
  return m;
}

/** Smallest finite value (Infinity for none); safe for any length. */
export function minOf(xs: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i] < m) m = xs[i];
  return m;
}

/** Largest |x| (0 for none); safe for any length. */
export function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) {
    const a = Math.abs(xs[i]);
    if (a > m) m = a;
  }
  return m;
}
