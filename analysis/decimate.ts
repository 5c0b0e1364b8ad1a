// Min/max decimation for plotting long records: each bucket of consecutive samples keeps
// its smallest and largest y (in time order), so spikes and failures stay visible at any
// zoom while a 10⁶-point channel becomes a few thousand points.

export interface XY {
  x: number[];
  y: number[];
}

export function decimateMinMax(x: ArrayLike<number>, y: ArrayLike<number>, maxPoints: number): XY {
  const n = Math.min(x.length, y.length);
  if (!(maxPoints >= 2)) throw new Error(`maxPoints must be at least 2, got ${maxPoints}`);
  if (n <= maxPoints) return { x: Array.from({ length: n }, (_, i) => x[i]), y: Array.from({ length: n }, (_, i) => y[i]) };
  const buckets = Math.floor(maxPoints / 2);
  const out: XY = { x: [], y: [] };
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let iMin = -1;
    let iMax = -1;
    for (let i = from; i < to; i++) {
      if (!Number.isFinite(y[i])) continue;
      if (iMin < 0 || y[i] < y[iMin]) iMin = i;
      if (iMax < 0 || y[i] > y[iMax]) iMax = i;
    }
    if (iMin < 0) continue;
    for (const i of iMin === iMax ? [iMin] : iMin < iMax ? [iMin, iMax] : [iMax, iMin]) {
      out.x.push(x[i]);
      out.y.push(y[i]);
    }
  }
  return out;
}
