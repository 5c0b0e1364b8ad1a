// Compiles a train into a list of equal-length source points, for SMUs whose timed
// mechanism is a list sweep with one point period (the Keithley 2400's source delay +
// integration, the B2900's trigger timer). Every point sources its level, waits, and
// measures during its last aperture; a segment becomes a whole number of points at its
// level, and only the reading of a measuring segment's last point is kept (the others are
// read and dropped). A segment of D seconds that measures lasts D + aperture, as on the
// 2450, and its reading integrates over the same final aperture.

import { DriverError } from '../errors.ts';
import type { Segment, TrainProgram } from './../waveform.ts';
import { programSegments } from './../waveform.ts';

/** How far a quantised segment may be from its programmed length: this fraction, or 1 µs if larger. */
export const QUANTISATION_TOLERANCE = 0.02;

export interface PointLimits {
  /** Shortest point period the instrument plays (≥ its aperture plus fixed overheads), s. */
  minPeriodS: number;
  /** Points one list sweep holds. */
  maxListPoints: number;
}

export interface PointBlock {
  /** Levels of the block's points, V. */
  levelsV: number[];
  /** How long each point lasts (start to next start), s. */
  durationsS: number[];
  /** Indices (into levelsV) whose readings are kept. */
  keep: number[];
}

export interface PointProgram {
  /** The common point period (equal-point lists), or null when each point has its own length. */
  periodS: number | null;
  prologue: PointBlock;
  unit: PointBlock;
  repeat: number;
  epilogue: PointBlock;
}

function segmentLengthS(s: Segment, apertureS: number): number {
  return s.durationS + (s.measure ? apertureS : 0);
}

function tooShort(label: string, i: number, lengthS: number, minPeriodS: number): DriverError {
  return new DriverError(
    `${label}: segment ${i + 1} lasts ${(lengthS * 1e3).toPrecision(3)} ms (with its read aperture), shorter than one list point (${(minPeriodS * 1e3).toPrecision(3)} ms at this NPLC: this SMU measures at every list point); lower the NPLC (e.g. nplc=0.01) or lengthen the segment`,
  );
}

function fits(lengthS: number, periodS: number): number | null {
  const n = Math.round(lengthS / periodS);
  if (n < 1) return null;
  return Math.abs(n * periodS - lengthS) <= Math.max(QUANTISATION_TOLERANCE * lengthS, 1e-6) ? n : null;
}

function block(segments: Segment[], periodS: number, apertureS: number): PointBlock {
  const levelsV: number[] = [];
  const keep: number[] = [];
  for (const s of segments) {
    const n = fits(segmentLengthS(s, apertureS), periodS)!;
    for (let k = 0; k < n; k++) levelsV.push(s.levelV);
    if (s.measure) keep.push(levelsV.length - 1);
  }
  return { levelsV, durationsS: levelsV.map(() => periodS), keep };
}

/**
 * One point per segment, each with its own length (for SMUs whose point timer takes a
 * list of delays, like the 2600B's `trigger.timer[N].delaylist`). Every point is still
 * measured, so no segment may be shorter than `minPeriodS`.
 */
export function compileSegments(p: TrainProgram, apertureS: number, limits: PointLimits, label: string): PointProgram {
  const segments = programSegments(p);
  if (segments.length === 0) throw new DriverError(`${label}: the train has no segments`);
  segments.forEach((s, i) => {
    const len = segmentLengthS(s, apertureS);
    if (len < limits.minPeriodS) throw tooShort(label, i, len, limits.minPeriodS);
  });
  const one = (segs: Segment[]): PointBlock => ({
    levelsV: segs.map((s) => s.levelV),
    durationsS: segs.map((s) => segmentLengthS(s, apertureS)),
    keep: segs.flatMap((s, i) => (s.measure ? [i] : [])),
  });
  const pp = { periodS: null, prologue: one(p.prologue), unit: one(p.unit), repeat: p.repeat, epilogue: one(p.epilogue ?? []) };
  for (const [name, b] of [['unit', pp.unit], ['prologue', pp.prologue], ['epilogue', pp.epilogue]] as const) {
    if (b.levelsV.length > limits.maxListPoints) throw new DriverError(`${label}: the ${name} has ${b.levelsV.length} segments (at most ${limits.maxListPoints} list points)`);
  }
  return pp;
}

/**
 * The longest point period that represents every segment within the tolerance, never
 * shorter than the instrument's minimum. Throws a DriverError naming the segment that
 * cannot be represented, or the list length that does not fit.
 */
export function compilePoints(p: TrainProgram, apertureS: number, limits: PointLimits, label: string): PointProgram {
  const segments = programSegments(p);
  if (segments.length === 0) throw new DriverError(`${label}: the train has no segments`);
  const lengths = segments.map((s) => segmentLengthS(s, apertureS));
  const shortest = Math.min(...lengths);
  if (shortest < limits.minPeriodS * (1 - QUANTISATION_TOLERANCE)) throw tooShort(label, lengths.indexOf(shortest), shortest, limits.minPeriodS);
  // Candidate periods: each segment's length divided by a whole number of points, longest first.
  const candidates = new Set<number>();
  for (const len of lengths) for (let k = 1; k <= limits.maxListPoints && len / k >= limits.minPeriodS * (1 - 1e-9); k++) candidates.add(len / k);
  const unitLen = (period: number) => p.unit.reduce((n, s) => n + fits(segmentLengthS(s, apertureS), period)!, 0);
  for (const period of [...candidates].sort((a, b) => b - a)) {
    if (!lengths.every((len) => fits(len, period) !== null)) continue;
    if (unitLen(period) > limits.maxListPoints) break;
    const pro = block(p.prologue, period, apertureS);
    const epi = block(p.epilogue ?? [], period, apertureS);
    if (Math.max(pro.levelsV.length, epi.levelsV.length) > limits.maxListPoints) break;
    return {
      periodS: period,
      prologue: pro,
      unit: block(p.unit, period, apertureS),
      repeat: p.repeat,
      epilogue: epi,
    };
  }
  throw new DriverError(
    `${label}: the segment lengths (${lengths.map((l) => `${(l * 1e3).toPrecision(3)} ms`).join(', ')}) have no common point period of at least ${(limits.minPeriodS * 1e3).toPrecision(3)} ms within ${QUANTISATION_TOLERANCE * 100} % that fits ${limits.maxListPoints} list points; make them multiples of one period`,
  );
}

/**
 * The point program packed into list sweeps of at most `maxListPoints`: the prologue, the
 * units and the epilogue in order, cut only between units (and around the prologue and
 * epilogue when a sweep is full). Each sweep knows which of its readings to keep.
 */
export function sweeps(pp: PointProgram, maxListPoints: number): PointBlock[] {
  const out: PointBlock[] = [];
  let cur: PointBlock = { levelsV: [], durationsS: [], keep: [] };
  const add = (b: PointBlock) => {
    if (b.levelsV.length === 0) return;
    if (cur.levelsV.length + b.levelsV.length > maxListPoints && cur.levelsV.length > 0) {
      out.push(cur);
      cur = { levelsV: [], durationsS: [], keep: [] };
    }
    for (const k of b.keep) cur.keep.push(cur.levelsV.length + k);
    for (const v of b.levelsV) cur.levelsV.push(v);
    for (const d of b.durationsS) cur.durationsS.push(d);
  };
  add(pp.prologue);
  for (let u = 0; u < pp.repeat; u++) add(pp.unit);
  add(pp.epilogue);
  if (cur.levelsV.length) out.push(cur);
  return out;
}
