// Min/max summaries written beside each chunk, so a plot of any length reads a few KB
// per million samples: per block of SUMMARY_BLOCK samples, its smallest and largest
// finite value and its first and last value (the x of a monotonic channel).

import { decodeFloat64LE, encodeFloat64LE } from './blob.ts';

export const SUMMARY_BLOCK = 256;
/** Values stored per block: min, max, first, last. */
export const SUMMARY_STRIDE = 4;

export function summarise(values: ArrayLike<number>, n: number): Buffer {
  const blocks = Math.ceil(n / SUMMARY_BLOCK);
  const out = new Float64Array(blocks * SUMMARY_STRIDE);
  for (let b = 0; b < blocks; b++) {
    const from = b * SUMMARY_BLOCK;
    const to = Math.min(n, from + SUMMARY_BLOCK);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    out[b * SUMMARY_STRIDE] = lo === Infinity ? NaN : lo;
    out[b * SUMMARY_STRIDE + 1] = hi === -Infinity ? NaN : hi;
    out[b * SUMMARY_STRIDE + 2] = values[from];
    out[b * SUMMARY_STRIDE + 3] = values[to - 1];
  }
  return encodeFloat64LE(out);
}

export function decodeSummary(blob: Buffer): Float64Array {
  return decodeFloat64LE(blob);
}
