// Decimated reads for plots, at a cost set by the plot's width rather than the run's
// length: over a wide range each bucket is built from the chunks' min/max summaries
// (db/summary.ts); a narrow range reads only the chunks it overlaps and decimates them
// exactly. The x channel (or the sample index) must rise with the index to be searched
// by range — true of time and of the index; for other x (e.g. a pulse number that
// restarts every train) the whole channel is read.

import { type XY, decimateMinMax } from '../analysis/decimate.ts';
import { decodeFloat64LE } from '../db/blob.ts';
import type { Db } from '../db/database.ts';
import { NotFoundError } from '../db/reader.ts';
import { SUMMARY_BLOCK, SUMMARY_STRIDE, decodeSummary } from '../db/summary.ts';

interface ChunkRow {
  first_index: number;
  n: number;
  summary: Buffer | null;
}

function channelId(db: Db, runId: number, name: string): number {
  const ch = db.prepare('SELECT id FROM channels WHERE run_id = ? AND name = ?').get(runId, name) as { id: number } | undefined;
  if (!ch) throw new NotFoundError(`run ${runId} has no channel "${name}"`);
  return ch.id;
}

/** Samples [i0, i1) of a channel, reading only the chunks that overlap. */
export function readRange(db: Db, id: number, i0: number, i1: number): Float64Array {
  const out = new Float64Array(Math.max(0, i1 - i0));
  // The index finds the overlapping chunks (a chunk starts at most one chunk length before i0); only their rows are read.
  const longest = (db.prepare('SELECT COALESCE(MAX(n), 0) AS n FROM chunks WHERE channel_id = ?').get(id) as { n: number }).n;
  const rows = (
    db.prepare('SELECT first_index, n, data FROM chunks WHERE channel_id = ? AND first_index >= ? AND first_index < ? ORDER BY first_index').all(id, i0 - longest, i1) as {
      first_index: number;
      n: number;
      data: Buffer;
    }[]
  ).filter((r) => r.first_index + r.n > i0);
  for (const r of rows) {
    const from = Math.max(i0, r.first_index);
    const to = Math.min(i1, r.first_index + r.n);
    // A chunk wholly inside the range is decoded straight into the result (one copy, no temporary).
    if (from === r.first_index && to === r.first_index + r.n) decodeFloat64LE(r.data, out, from - i0);
    else out.set(decodeFloat64LE(r.data).subarray(from - r.first_index, to - r.first_index), from - i0);
  }
  return out;
}

type Blocks = { first: number; n: number; s: Float64Array }[];

/** Decoded summaries per database and channel, kept while the channel does not grow (a user zooms the same run again and again). */
const cache = new WeakMap<Db, Map<number, { n: number; blocks: Blocks | null; rising: boolean }>>();

function cachedBlocks(db: Db, id: number, n: number): { blocks: Blocks | null; rising: boolean } {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  const hit = m.get(id);
  if (hit && hit.n === n) return hit;
  const b = blocks(db, id);
  const entry = { n, blocks: b, rising: b !== null && b.every((x, k) => x.s[2] <= x.s[3] && (k === 0 || b[k - 1].s[3] <= x.s[2])) };
  if (m.size > 64) m.clear();
  m.set(id, entry);
  return entry;
}

/** Per-block summaries of a whole channel, in index order (null when a chunk has none: older runs). */
function blocks(db: Db, id: number): Blocks | null {
  const rows = db.prepare('SELECT first_index, n, summary FROM chunks WHERE channel_id = ? ORDER BY first_index').all(id) as ChunkRow[];
  const out: { first: number; n: number; s: Float64Array }[] = [];
  for (const r of rows) {
    if (!r.summary) return null;
    const s = decodeSummary(r.summary);
    for (let b = 0; b * SUMMARY_STRIDE < s.length; b++) {
      const first = r.first_index + b * SUMMARY_BLOCK;
      out.push({ first, n: Math.min(SUMMARY_BLOCK, r.first_index + r.n - first), s: s.subarray(b * SUMMARY_STRIDE, (b + 1) * SUMMARY_STRIDE) });
    }
  }
  return out;
}

function total(db: Db, id: number): number {
  return (db.prepare('SELECT COALESCE(SUM(n), 0) AS n FROM chunks WHERE channel_id = ?').get(id) as { n: number }).n;
}

/** First index whose block-level x reaches `v` (x rising with the index). */
function lowerIndex(xb: { first: number; n: number; s: Float64Array }[], v: number): number {
  let lo = 0;
  let hi = xb.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xb[mid].s[3] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < xb.length ? xb[lo].first : xb.length ? xb[xb.length - 1].first + xb[xb.length - 1].n : 0;
}

export function plotRead(db: Db, runId: number, yName: string, xName: string | undefined, maxPoints: number, xRange?: [number, number]): XY {
  const yId = channelId(db, runId, yName);
  const xId = xName ? channelId(db, runId, xName) : null;
  const n = total(db, yId);
  const xc = xId !== null ? cachedBlocks(db, xId, total(db, xId)) : null;
  const xb = xc?.blocks ?? null;
  const monotonic = xId === null || (xc?.rising ?? false);
  if (!monotonic || (xId !== null && (!xb || total(db, xId) !== n))) {
    // No order to search by: the whole channels, decimated.
    const y = readRange(db, yId, 0, n);
    const x = xId !== null ? readRange(db, xId, 0, n) : Float64Array.from(y, (_, i) => i);
    return rangeDecimate(x, y, maxPoints, xRange);
  }
  // The index range of the x-range.
  let [i0, i1] = [0, n];
  if (xRange) {
    const [lo, hi] = xRange[0] <= xRange[1] ? xRange : [xRange[1], xRange[0]];
    if (xId === null) [i0, i1] = [Math.max(0, Math.floor(lo)), Math.min(n, Math.ceil(hi) + 1)];
    else {
      i0 = Math.max(0, lowerIndex(xb!, lo) - SUMMARY_BLOCK);
      i1 = Math.min(n, lowerIndex(xb!, hi) + SUMMARY_BLOCK);
    }
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const yb = cachedBlocks(db, yId, n).blocks;
  if (!yb || (i1 - i0) / buckets < 4 * SUMMARY_BLOCK) {
    // Narrow: the samples themselves.
    const y = readRange(db, yId, i0, i1);
    const x = xId !== null ? readRange(db, xId, i0, i1) : Float64Array.from(y, (_, i) => i0 + i);
    return rangeDecimate(x, y, maxPoints, xRange);
  }
  // Wide: each bucket from whole blocks' min and max; x at the bucket's first and last sample.
  const out: XY = { x: [], y: [] };
  // Blocks restart at every chunk (a chunk's last block may be short): find them by index.
  const firstBlockEndingAfter = (i: number) => {
    let lo = 0;
    let hi = yb.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (yb[mid].first + yb[mid].n <= i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const b0 = firstBlockEndingAfter(i0);
  const b1 = firstBlockEndingAfter(i1 - 1) + 1;
  const per = (b1 - b0) / buckets;
  for (let k = 0; k < buckets; k++) {
    const from = b0 + Math.floor(k * per);
    const to = k === buckets - 1 ? b1 : Math.min(b1, b0 + Math.floor((k + 1) * per));
    if (to <= from) continue;
    let lo = Infinity;
    let hi = -Infinity;
    for (let b = from; b < to; b++) {
      if (yb[b].s[0] < lo) lo = yb[b].s[0];
      if (yb[b].s[1] > hi) hi = yb[b].s[1];
    }
    if (lo === Infinity) continue;
    const xa = xb ? xb[from].s[2] : yb[from].first;
    const xz = xb ? xb[to - 1].s[3] : yb[to - 1].first + yb[to - 1].n - 1;
    out.x.push(xa, xz);
    out.y.push(lo, hi);
  }
  return out;
}

function rangeDecimate(x: Float64Array, y: Float64Array, maxPoints: number, xRange?: [number, number]): XY {
  if (!xRange) return decimateMinMax(x, y, maxPoints);
  const [lo, hi] = xRange[0] <= xRange[1] ? xRange : [xRange[1], xRange[0]];
  const keep: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] >= lo && x[i] <= hi) keep.push(i);
  return decimateMinMax(Float64Array.from(keep, (i) => x[i]), Float64Array.from(keep, (i) => y[i]), maxPoints);
}
