// Playing one hardware-timed train from a protocol: the read-integration time, the
// reading-count check, and keeping what an aborted train measured.

import { AbortedError } from '../drivers/instruments/errors.ts';
import { type TrainProgram, type TrainReadings, measurementsIn } from '../drivers/instruments/waveform.ts';
import type { BenchInstruments, RunContext } from './protocol.ts';

/** Integration time of one read on the bench's source-meter, s. */
export function readApertureS(nplc: number, bench: BenchInstruments): number {
  return nplc / bench.smu.capabilities.lineFrequencyHz;
}

/** A read within 2 % of the current limit is the limit, not a conductance. */
export const AT_LIMIT_FRACTION = 0.98;

export function atCurrentLimit(currentA: number, limitA: number): boolean {
  return !(Math.abs(currentA) < AT_LIMIT_FRACTION * limitA);
}

/** Thrown when a read reaches the current limit: the device may have shorted; the run ends `failed`. */
export class CurrentLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CurrentLimitError';
  }
}

/**
 * The stop rule that protects the device: call after storing a train's readings. The
 * first read at the current limit ends the run (status failed, this reason). A protocol
 * whose purpose is to reach compliance (forming) does not call it.
 */
export function stopAtCurrentLimit(r: TrainReadings, limitA: number, where: (readIndex: number) => string, readVoltageV?: number): void {
  const k = r.currentA.findIndex((i) => atCurrentLimit(i, limitA));
  if (k < 0) return;
  throw new CurrentLimitError(
    `${where(k)}: ${r.currentA[k]} A${readVoltageV !== undefined ? ` at ${readVoltageV} V` : ''} reached the current limit ${limitA} A — the device may have shorted or broken down; run stopped`,
  );
}

export interface PlayOptions {
  /** Readings so far while the train plays (for progress). */
  onReadings?: (have: number, expected: number) => void;
  /** What an aborted train measured before the abort, to be stored. */
  onPartial?: (partial: TrainReadings) => void;
}

export async function playTrain(ctx: RunContext, program: TrainProgram, opts: PlayOptions = {}): Promise<TrainReadings> {
  const smu = ctx.bench.smu;
  let r: TrainReadings;
  try {
    // Deferred work goes where the host would only wait: while readings are still to come,
    // or at the first look when the train was already over by then (an instantaneous
    // simulator: the host is the only clock, so time is not taken from any instrument).
    // Never on the look that finds a played train done: the next train would start later.
    let first = true;
    r = await smu.runTrain(program, ctx.signal, (have, expected, remainingS) => {
      if (have < expected) ctx.whilePlaying(remainingS);
      else if (first) ctx.whilePlaying(Infinity);
      first = false;
      opts.onReadings?.(have, expected);
    });
  } catch (e) {
    if (e instanceof AbortedError && e.partial && e.partial.currentA.length > 0) opts.onPartial?.(e.partial);
    throw e;
  }
  const expected = measurementsIn(program);
  if (r.currentA.length !== expected) throw new Error(`${smu.label}: expected ${expected} readings, got ${r.currentA.length}`);
  return r;
}
