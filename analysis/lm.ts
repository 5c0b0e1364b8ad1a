// A lean Levenberg–Marquardt for the small models of the metric fits (2–4 parameters,
// up to 10⁶ points). ml-levenberg-marquardt builds matrix objects of the whole data set
// at every iteration, which made a 5 000-point STDP import take 10 s; here each
// iteration is a few passes over plain arrays (central-difference Jacobian accumulated
// straight into the k×k normal equations), so the cost is linear in the points with a
// small constant. Marquardt's scaling (λ·diag(JᵀJ)), box bounds by clamping.

export interface LmOptions {
  initialValues: readonly number[];
  minValues?: readonly number[];
  maxValues?: readonly number[];
  maxIterations?: number;
}

export interface LmResult {
  parameterValues: number[];
  sse: number;
  iterations: number;
}

function clamp(p: number[], lo?: readonly number[], hi?: readonly number[]): number[] {
  return p.map((v, j) => Math.min(hi?.[j] ?? Infinity, Math.max(lo?.[j] ?? -Infinity, v)));
}

function sseOf(f: (x: number) => number, x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const r = y[i] - f(x[i]);
    s += r * r;
  }
  return s;
}

/** Solves the k×k system A·d = b by Gaussian elimination with partial pivoting; null when singular. */
export function solveSmall(a: number[][], b: number[]): number[] | null {
  const k = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    if (!(Math.abs(m[piv][c]) > 1e-300)) return null;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = c + 1; r < k; r++) {
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= k; j++) m[r][j] -= f * m[c][j];
    }
  }
  const d = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let s = m[r][k];
    for (let j = r + 1; j < k; j++) s -= m[r][j] * d[j];
    d[r] = s / m[r][r];
  }
  return d.every(Number.isFinite) ? d : null;
}

export function levenbergMarquardt(data: { x: ArrayLike<number>; y: ArrayLike<number> }, model: (p: readonly number[]) => (x: number) => number, opts: LmOptions): LmResult {
  const { x, y } = data;
  const m = x.length;
  const k = opts.initialValues.length;
  let p = clamp([...opts.initialValues], opts.minValues, opts.maxValues);
  let sse = sseOf(model(p), x, y);
  let lambda = 1e-3;
  const maxIter = opts.maxIterations ?? 200;
  const fPlus = new Float64Array(m);
  const jac: Float64Array[] = Array.from({ length: k }, () => new Float64Array(m));
  let iter = 0;
  let quiet = 0;
  for (; iter < maxIter && Number.isFinite(sse); iter++) {
    const f0 = model(p);
    const resid = new Float64Array(m);
    for (let i = 0; i < m; i++) resid[i] = y[i] - f0(x[i]);
    for (let j = 0; j < k; j++) {
      const h = Math.max(Math.abs(p[j]), 1e-3) * 1e-6;
      const up = [...p];
      const dn = [...p];
      up[j] += h;
      dn[j] -= h;
      const fu = model(up);
      const fd = model(dn);
      const col = jac[j];
      for (let i = 0; i < m; i++) {
        fPlus[i] = fu(x[i]);
        col[i] = (fPlus[i] - fd(x[i])) / (2 * h);
      }
    }
    const a: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const g = new Array<number>(k).fill(0);
    for (let r = 0; r < k; r++) {
      const jr = jac[r];
      let gs = 0;
      for (let i = 0; i < m; i++) gs += jr[i] * resid[i];
      g[r] = gs;
      for (let c = r; c < k; c++) {
        const jc = jac[c];
        let s = 0;
        for (let i = 0; i < m; i++) s += jr[i] * jc[i];
        a[r][c] = s;
        a[c][r] = s;
      }
    }
    let accepted = false;
    for (let tries = 0; tries < 12 && !accepted; tries++) {
      const damped = a.map((row, r) => row.map((v, c) => (r === c ? v + lambda * Math.max(v, 1e-12) : v)));
      const d = solveSmall(damped, g);
      if (d) {
        const next = clamp(p.map((v, j) => v + d[j]), opts.minValues, opts.maxValues);
        const nextSse = sseOf(model(next), x, y);
        if (Number.isFinite(nextSse) && nextSse < sse) {
          const gain = (sse - nextSse) / Math.max(sse, 1e-300);
          // Parameters that no longer move count as converged, like a gain that no longer matters.
          const moved = next.some((v, j) => Math.abs(v - p[j]) > 1e-10 * Math.max(Math.abs(p[j]), 1e-12));
          p = next;
          sse = nextSse;
          lambda = Math.max(lambda / 3, 1e-12);
          accepted = true;
          quiet = gain < 1e-10 || !moved ? quiet + 1 : 0;
          break;
        }
      }
      lambda *= 4;
    }
    // y is scaled to order 1 by the caller: an SSE this small is an exact fit.
    if (!accepted || quiet >= 3 || sse <= 1e-24 * m) break;
  }
  return { parameterValues: p, sse, iterations: iter };
}
