// A SourceMeter whose timed mechanism is a list sweep of equal-length points (Keithley
// 2400, Keysight B2900): the train is compiled into points (point-list.ts), played as
// one sweep per list (one start each), and the readings of measuring segments are kept.
// Each family says how to configure, start, poll and read one sweep.

import { AbortedError, DriverError, checkRange } from '../errors.ts';
import type { OnReadings, SmuCapabilities, SourceMeter } from '../roles.ts';
import { ScpiDriver } from '../scpi-driver.ts';
import { type TrainProgram, type TrainReadings, measurementsIn, programSegments } from '../waveform.ts';
import { type PointBlock, type PointProgram, compilePoints, compileSegments, sweeps } from './point-list.ts';

export interface SweepReading {
  voltageV: number;
  currentA: number;
  /** Instrument clock, s. */
  tS: number;
}

export interface SweepSetup {
  levelsV: number[];
  /** How long each point lasts, s (all equal for families with one point period). */
  durationsS: number[];
  apertureS: number;
  limitA: number;
  nplc: number;
  measureRangeA?: number;
  /** The level the output holds before and between sweeps (the unit's last level). */
  biasV: number;
}

export abstract class ListSweepSmu extends ScpiDriver implements SourceMeter {
  readonly role = 'source-meter' as const;
  abstract readonly capabilities: SmuCapabilities;

  /** What a point takes beyond its integration (conversion, trigger latency), s. */
  protected abstract readonly pointOverheadS: number;
  /** Whether each point may have its own length (a timer delay list); else one period for all. */
  protected readonly pointsOwnLength: boolean = false;
  protected abstract configureSweep(s: SweepSetup): string[];
  /** Starts the configured sweep (the output is on at the bias level). */
  protected abstract startSweep(): Promise<void>;
  /** How many readings the running sweep of `count` points has stored, and whether it is done. */
  protected abstract pollSweep(count: number): Promise<{ done: boolean; have: number }>;
  protected abstract readSweep(count: number): Promise<SweepReading[]>;
  protected abstract abortSweep(): Promise<void>;
  abstract identify(): Promise<string>;
  /** The output's header (`:OUTP`, `:OUTP1`). */
  protected abstract readonly output: string;
  /** Commands that stop a sweep and bring the source to a fixed 0 V (before the output goes off). */
  protected abstract readonly toZero: string[];

  /** Reads the error queue empty; throws an InstrumentError with the instrument's own text (SCPI here; TSP families override). */
  protected checkErrors(context: string): Promise<void> {
    return this.scpi.checkErrors(context);
  }

  /** Reads the mains frequency (`:SYST:LFR?`) for every read aperture, never an assumption. */
  protected async readMainsFrequency(): Promise<void> {
    const lfr = await this.scpi.queryNumber(':SYST:LFR?');
    if (lfr !== 50 && lfr !== 60) throw new DriverError(`${this.label}: :SYST:LFR? answered ${lfr}, not 50 or 60 Hz`);
    this.capabilities.lineFrequencyHz = lfr;
  }

  /** Switches the output and confirms it by query (which also proves the command was processed). */
  protected async outputOn(on: boolean): Promise<void> {
    await this.scpi.write(`${this.output} ${on ? 'ON' : 'OFF'}`);
    const state = (await this.scpi.query(`${this.output}?`)).trim();
    if (state !== (on ? '1' : '0')) throw new DriverError(`${this.label}: output reports "${state}" after ${this.output} ${on ? 'ON' : 'OFF'}`);
  }

  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    const on = (await this.scpi.query(`${this.output}?`)).trim() === '1';
    return { anyOn: on, text: on ? 'output ON' : 'output off' };
  }

  /** Stops any sweep, 0 V, output off, confirmed by query. */
  async safeOff(): Promise<void> {
    await this.scpi.writeAll(this.toZero);
    await this.outputOn(false);
  }

  private apertureS(p: TrainProgram): number {
    return p.nplc / this.capabilities.lineFrequencyHz;
  }

  /** The last program compiled, so that runTrain does not compile again what validateTrain just did. */
  private compiled: { program: TrainProgram; hz: number; points: PointProgram } | null = null;

  private points(p: TrainProgram): PointProgram {
    const hz = this.capabilities.lineFrequencyHz;
    if (this.compiled?.program === p && this.compiled.hz === hz) return this.compiled.points;
    const ap = this.apertureS(p);
    const limits = { minPeriodS: ap + this.pointOverheadS, maxListPoints: this.capabilities.maxListPoints! };
    const points = this.pointsOwnLength ? compileSegments(p, ap, limits, this.label) : compilePoints(p, ap, limits, this.label);
    this.compiled = { program: p, hz, points };
    return points;
  }

  validateTrain(p: TrainProgram): void {
    const c = this.capabilities;
    const L = this.label;
    if (!Number.isInteger(p.repeat) || p.repeat < 1) throw new DriverError(`${L}: repeat count ${p.repeat} must be a whole number ≥ 1`);
    checkRange(L, 'current limit', p.limitA, c.minLimitA, c.maxAbsCurrentA, 'A');
    checkRange(L, 'NPLC', p.nplc, c.nplcRange[0], c.nplcRange[1], 'PLC');
    const segments = programSegments(p);
    for (const [i, s] of segments.entries()) {
      checkRange(L, `segment ${i + 1} level`, s.levelV, -c.maxAbsVoltageV, c.maxAbsVoltageV, 'V');
      if (s.triggerOut) throw new DriverError(`${L}: segment ${i + 1} fires a trigger output to a pulse generator; this driver plays pulses from the SMU only (use the 2450 for generator pulses)`);
    }
    if (measurementsIn(p) < 1) throw new DriverError(`${L}: the train measures nothing`);
    this.points(p);
  }

  async runTrain(p: TrainProgram, signal?: AbortSignal, onReadings?: OnReadings): Promise<TrainReadings> {
    this.validateTrain(p);
    const pp = this.points(p);
    const expected = measurementsIn(p);
    const out: TrainReadings = { currentA: [], voltageV: [], timeS: [] };
    let firstClock: number | undefined;
    const keep = (b: PointBlock, got: SweepReading[]) => {
      for (const k of b.keep) {
        if (k >= got.length) break;
        const r = got[k];
        firstClock ??= r.tS;
        out.currentA.push(r.currentA);
        out.voltageV.push(r.voltageV);
        out.timeS.push(r.tS - firstClock);
      }
    };
    const biasV = pp.unit.levelsV[pp.unit.levelsV.length - 1];
    try {
      for (const [i, b] of sweeps(pp, this.capabilities.maxListPoints!).entries()) {
        if (signal?.aborted) throw new AbortedError('pulse train', out);
        await this.scpi.writeAll(this.configureSweep({ levelsV: b.levelsV, durationsS: b.durationsS, apertureS: this.apertureS(p), limitA: p.limitA, nplc: p.nplc, measureRangeA: p.measureRangeA, biasV }));
        await this.checkErrors('while configuring the list sweep');
        if (i === 0) await this.outputOn(true);
        await this.startSweep();
        const { got, aborted } = await this.waitForSweep(b, signal, (have, remainingS) => onReadings?.(out.currentA.length + b.keep.filter((k) => k < have).length, expected, remainingS));
        keep(b, got);
        // What the sweeps measured before an abort is kept: raw data is never thrown away.
        if (aborted) throw new AbortedError('pulse train', out);
      }
    } finally {
      // As the 2450's trigger model ends: output off after the train (or its abort).
      await this.outputOn(false).catch(() => undefined);
    }
    await this.checkErrors('after the pulse train');
    if (firstClock !== undefined) out.firstReadClockS = firstClock;
    return out;
  }

  /** Waits for one sweep and reads it; on an abort, stops it and reads what it stored. */
  private async waitForSweep(b: PointBlock, signal: AbortSignal | undefined, onHave: (have: number, remainingS: number) => void): Promise<{ got: SweepReading[]; aborted: boolean }> {
    const n = b.levelsV.length;
    const expectedMs = b.durationsS.reduce((t, d) => t + d, 0) * 1000;
    const startMs = Date.now();
    const deadline = startMs + expectedMs * 1.5 + 10_000;
    for (;;) {
      const { done, have } = await this.pollSweep(n);
      try {
        onHave(have, Math.max(0, (startMs + expectedMs - Date.now()) / 1000));
      } catch {
        // a listener's failure must not skip the abort below
      }
      if (done) break;
      if (signal?.aborted) {
        await this.abortSweep();
        const stored = (await this.pollSweep(n)).have;
        return { got: stored > 0 ? await this.readSweep(stored) : [], aborted: true };
      }
      if (Date.now() > deadline) {
        await this.abortSweep();
        throw new DriverError(`${this.label}: list sweep did not finish in time (${have} of ${n} readings)`);
      }
      // Every 50 ms until the sweep should be done (progress, abort), then every 1 ms.
      const untilEnd = startMs + expectedMs - Date.now();
      await new Promise((r) => setTimeout(r, untilEnd > 1 ? Math.min(50, untilEnd) : 1));
    }
    const got = await this.readSweep(n);
    if (got.length !== n) throw new DriverError(`${this.label}: the sweep returned ${got.length} readings, expected ${n}`);
    return { got, aborted: false };
  }
}
