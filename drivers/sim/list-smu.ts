// What the simulated list-sweep SMUs (Keithley 2400, Keysight B2900) share: the output
// forcing a voltage through the bench's device under a current limit, an integration of
// NPLC mains cycles, current ranges with overflow, and a list sweep played point by point
// (source the level, wait the point's delay, integrate, store a reading) as a paced
// program. Each family registers its own command set on top.

import { Errors, type ScpiError } from '../scpi/command-tree.ts';
import type { BenchEnvironment, SmuDrive } from './environment.ts';
import { PacedProgram } from './paced.ts';
import { ScpiInstrument } from './scpi-instrument.ts';

export const OVERFLOW = 9.91e37;
const OVERRANGE = 1.05;

/**
 * A current as a ranging SMU reports it: with autorange the range follows the reading;
 * on a fixed range a reading beyond 105 % of it is the overflow value.
 */
export function rangedCurrent(currentA: number, ranges: readonly number[], auto: boolean, rangeA: number): { currentA: number; rangeA: number } {
  if (auto) return { currentA, rangeA: ranges.find((r) => Math.abs(currentA) <= r * OVERRANGE) ?? ranges[ranges.length - 1] };
  return { currentA: Math.abs(currentA) > rangeA * OVERRANGE ? OVERFLOW : currentA, rangeA };
}

export interface ListReading {
  voltageV: number;
  currentA: number;
  /** The instrument clock at the end of the reading's integration, s. */
  tS: number;
}

export abstract class SimListSmu extends ScpiInstrument {
  private env: BenchEnvironment | null = null;
  protected output = false;
  protected levelV = 0;
  protected limitA = 1.05e-4;
  protected nplc = 1;
  protected iRangeAuto = true;
  protected iRange = 1e-4;
  /** Mains frequency the instrument measured at power-up (50 or 60 Hz). */
  lineFrequencyHz: 50 | 60 = 50;
  protected readonly program = new PacedProgram(
    () => this.bench.nowS(),
    (e: ScpiError) => this.pushError(e),
  );

  protected abstract readonly currentRanges: number[];

  attach(env: BenchEnvironment): void {
    this.env = env;
  }

  protected get bench(): BenchEnvironment {
    if (!this.env) throw new Error(`simulated ${this.model} is not wired to a bench`);
    return this.env;
  }

  drive(): SmuDrive {
    return { on: this.output, levelV: this.levelV, limitA: this.limitA };
  }

  protected get apertureS(): number {
    return this.nplc / this.lineFrequencyHz;
  }

  protected resetSource(): void {
    this.program.abort();
    this.output = false;
    this.levelV = 0;
    this.limitA = 1.05e-4;
    this.nplc = 1;
    this.iRangeAuto = true;
    this.iRange = 1e-4;
  }

  protected setCurrentRange(a: number): void {
    const r = this.currentRanges.find((x) => Math.abs(a) <= x * OVERRANGE);
    if (r === undefined) throw Errors.dataOutOfRange(`current range ${a} A`);
    this.iRange = r;
    this.iRangeAuto = false;
  }

  /** Integrates over the aperture at the present drive, then reads (overflow beyond a fixed range). */
  protected measure(): ListReading {
    const env = this.bench;
    env.advance(this.apertureS);
    const m = env.smuCurrentA();
    const r = rangedCurrent(m.currentA, this.currentRanges, this.iRangeAuto, this.iRange);
    this.iRange = r.rangeA;
    return { voltageV: m.voltageV, currentA: r.currentA, tS: env.nowS() };
  }

  /** A list sweep: each point sources its level, waits `delayS`, integrates, stores a reading, then waits `tailS` (the rest of a timer period). */
  protected *listSteps(levelsV: number[], delayS: number, store: (r: ListReading) => void, tailS = 0): Generator<void> {
    for (const v of levelsV) {
      this.levelV = v;
      if (delayS > 0) this.bench.advance(delayS);
      if (!this.output) throw Errors.settingsConflict('list sweep reached a point with the output off');
      store(this.measure());
      if (tailS > 0) this.bench.advance(tailS);
      yield;
    }
  }

  override handleMessage(message: string): string | null {
    this.program.catchUp();
    return super.handleMessage(message);
  }

  setRealTimeFactor(factor: number | null): void {
    this.program.setRealTimeFactor(factor);
  }

  /** Host-side abort (fault injection, process exit). */
  forceOutputOff(): void {
    this.program.abort();
    this.output = false;
    this.levelV = 0;
  }

  get isOutputOn(): boolean {
    this.program.catchUp();
    return this.output;
  }

  get sourceLevelV(): number {
    this.program.catchUp();
    return this.levelV;
  }

  get isTriggerRunning(): boolean {
    return this.program.isRunning;
  }
}
