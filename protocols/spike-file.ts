// Spike shapes from two-column files (time in s, voltage in V), as ArC's STDP module takes
// them: comma, tab or space separated, '#' comment lines and a header row allowed. Read
// and checked before any instrument command; each line that cannot be read is named.

import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ParamError } from './params.ts';

export interface SpikeShape {
  tS: number[];
  v: number[];
}

const cache = new Map<string, { mtimeMs: number; shape: SpikeShape }>();

export function loadSpikeFile(path: string, what: string): SpikeShape {
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = statSync(path).mtimeMs;
    const hit = cache.get(path);
    if (hit && hit.mtimeMs === mtimeMs) return hit.shape;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ParamError(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const delimiter = text.includes(',') ? ',' : text.includes('\t') ? '\t' : ' ';
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, comment: '#', skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new ParamError(`${what}: ${path} is not a readable table (${(e as Error).message})`);
  }
  const shape: SpikeShape = { tS: [], v: [] };
  rows.forEach((r, i) => {
    const cells = delimiter === ' ' ? r.filter((c) => c !== '') : r;
    const [t, v] = [Number(cells[0]), Number(cells[1])];
    if (cells.length < 2 || !Number.isFinite(t) || !Number.isFinite(v)) {
      if (i === 0 && shape.tS.length === 0) return; // a header row
      throw new ParamError(`${what}: ${path} row ${i + 1} is not two numbers (time s, voltage V): "${r.join(delimiter)}"`);
    }
    if (shape.tS.length && !(t > shape.tS[shape.tS.length - 1])) throw new ParamError(`${what}: ${path} row ${i + 1}: time ${t} s does not increase`);
    if (Math.abs(v) > 200) throw new ParamError(`${what}: ${path} row ${i + 1}: ${v} V is beyond any source (|V| ≤ 200 V)`);
    shape.tS.push(t);
    shape.v.push(v);
  });
  if (shape.tS.length < 2) throw new ParamError(`${what}: ${path} holds ${shape.tS.length} point(s); a spike needs at least 2`);
  if (shape.tS[0] < 0) throw new ParamError(`${what}: ${path} starts at ${shape.tS[0]} s; times are from the spike's start (≥ 0)`);
  cache.set(path, { mtimeMs, shape });
  return shape;
}

/** The file's voltage at τ after the spike starts: linear between points, 0 V outside. */
export function spikeAt(s: SpikeShape, tau: number): number {
  const { tS, v } = s;
  if (tau < tS[0] || tau > tS[tS.length - 1]) return 0;
  let lo = 0;
  let hi = tS.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (tS[mid] <= tau) lo = mid;
    else hi = mid;
  }
  const f = (tau - tS[lo]) / (tS[hi] - tS[lo]);
  return v[lo] + f * (v[hi] - v[lo]);
}
