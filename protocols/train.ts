// Playing one hardware-timed train from a protocol: the read-integration time, the
// reading-count check, and keeping what an aborted train measured.

import { AbortedError } from '../drivers/instruments/errors.ts';
import { type TrainProgram, type TrainReadings, measurementsIn } from '../drivers/instruments/waveform.ts';
import type { BenchInstruments, RunContext } from './protocol.ts';

/** Integration time of one read on the bench's source-meter, s. */
export function readApertureS(nplc: number, bench: BenchInstruments): number {
  return nplc / bench.smu.capabilities.lineFrequencyHz;
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
    r = await smu.runTrain(program, ctx.signal, opts.onReadings);
  } catch (e) {
    if (e instanceof AbortedError && e.partial && e.partial.currentA.length > 0) opts.onPartial?.(e.partial);
    throw e;
  }
  const expected = measurementsIn(program);
  if (r.currentA.length !== expected) throw new Error(`${smu.label}: expected ${expected} readings, got ${r.currentA.length}`);
  return r;
}
