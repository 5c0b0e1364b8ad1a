// Keithley 2600B SourceMeter driver (SourceMeter role; TSP, instruments.md §1.3), channel
// smua or smub. A train plays as a timer-paced list sweep: a Lua script loaded on the
// instrument (`loadscript NPTrain` … `endscript`, then `NPTrain()`) sets the channel's
// source list (`trigger.source.listv`, one point per segment), timer 1 paces the points
// with a delay list (passthrough, count N − 1, stimulated by the channel's
// ARMED_EVENT_ID), timer 2 places each measurement in its point's last aperture (its own
// delay list), and `trigger.measure.iv` stores current and voltage in nvbuffer1/2, read
// with `printbuffer`. The trigger-model forms are those of Tektronix's KE26XXB
// pulsed-sweep example; `trigger.timer[N].delaylist` (the next delay at each trigger, the
// average of a list ≥ 50 µs) is from the 2600B reference manual (2600BS-901-01 Rev. C,
// 7-376). Errors come from `errorqueue`.
// Unconfirmed: the longest line the instrument accepts (a 2500-point `listv` table is one
// line of ≈ 20 kB here), the timestamps counting on across sweeps, and the 60 µs
// allowance per point for the measurement to start (the example's own margin).

import { DriverError, InstrumentError } from '../errors.ts';
import type { SmuCapabilities } from '../roles.ts';
import { parseScpiNumber, parseScpiNumbers, scpiNumber } from '../scpi-session.ts';
import type { Transport } from '../../transport/transport.ts';
import { type TrainProgram, programSegments } from '../waveform.ts';
import { ListSweepSmu, type SweepReading, type SweepSetup } from './list-sweep-smu.ts';
import { smallestRange } from './ranges.ts';

const I_RANGES = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1.5, 3];
/** The pulsed-sweep example starts its measurement 60 µs before the pulse ends. */
const POINT_OVERHEAD_S = 60e-6;
const SCRIPT = 'NPTrain';

export const KEITHLEY_2600B_CAPABILITIES: SmuCapabilities = {
  maxAbsVoltageV: 202,
  maxAbsCurrentA: 3,
  minLimitA: 1e-9,
  nplcRange: [0.001, 25],
  minSegmentS: POINT_OVERHEAD_S,
  maxListPoints: 2500,
  maxReadings: 100_000,
  lineFrequencyHz: 50,
};

/** When each point's measurement starts after the point starts, s. */
function measureDelays(s: Pick<SweepSetup, 'durationsS' | 'apertureS'>): number[] {
  return s.durationsS.map((d) => Math.max(1e-6, d - s.apertureS - POINT_OVERHEAD_S));
}

export class Keithley2600B extends ListSweepSmu {
  readonly model: string;
  protected readonly pointOverheadS = POINT_OVERHEAD_S;
  /** Timers take a delay list (trigger.timer[N].delaylist), so each segment is one point of its own length. */
  protected override readonly pointsOwnLength = true;
  protected readonly output: string;
  protected readonly toZero: string[];
  readonly capabilities: SmuCapabilities = { ...KEITHLEY_2600B_CAPABILITIES };
  /** `smua` or `smub`. */
  private readonly ch: string;

  constructor(transport: Transport, channel: 'a' | 'b' = 'a') {
    super(transport);
    this.ch = `smu${channel}`;
    this.model = `Keithley 2600B (${this.ch})`;
    this.output = `${this.ch}.source.output`;
    this.toZero = [`${this.ch}.abort()`, `${this.ch}.source.levelv = 0`];
  }

  /** The timers refuse delay lists averaging under 50 µs (reference manual); checked before anything is sent. */
  override validateTrain(p: TrainProgram): void {
    super.validateTrain(p);
    const ap = p.nplc / this.capabilities.lineFrequencyHz;
    const durationsS = programSegments(p).map((s) => s.durationS + (s.measure ? ap : 0));
    const avg = measureDelays({ durationsS, apertureS: ap }).reduce((t, d) => t + d, 0) / durationsS.length;
    if (durationsS.length > 1 && avg < 50e-6) throw new DriverError(`${this.label}: the measurements would start on average ${(avg * 1e6).toFixed(0)} µs into their points; timer delay lists need ≥ 50 µs on average (lengthen the segments or lower the NPLC)`);
  }

  /** A printed TSP number (`1.00000e+00`). */
  private async printNumber(expr: string): Promise<number> {
    return parseScpiNumber(await this.scpi.query(`print(${expr})`), `print(${expr})`, this.label);
  }

  async identify(): Promise<string> {
    const idn = await this.checkIdn(/Model 26(01|02|11|12|34|35|36)B\b/, 'a Keithley 2600B');
    if (this.ch === 'smub' && /Model 26(01|11|35)B/.test(idn)) throw new DriverError(`${this.label}: "${idn}" has one channel; smub does not exist`);
    const lfr = await this.printNumber('localnode.linefreq');
    if (lfr !== 50 && lfr !== 60) throw new DriverError(`${this.label}: localnode.linefreq is ${lfr}, not 50 or 60 Hz`);
    this.capabilities.lineFrequencyHz = lfr;
    return idn;
  }

  /** Resets this channel only (the other may belong to another role) and empties the error queue. */
  override async reset(): Promise<void> {
    await this.scpi.writeAll([`${this.ch}.reset()`]);
    await this.checkErrors('after reset');
  }

  protected override async checkErrors(context: string): Promise<void> {
    const entries = await this.errorQueue();
    if (entries.length) throw new InstrumentError(this.label, entries, context);
  }

  /** Reads `errorqueue` empty: `code,"message"` per entry. */
  override async errorQueue(): Promise<string[]> {
    const out: string[] = [];
    for (let n = await this.printNumber('errorqueue.count'), i = 0; n > 0 && i < 33; n--, i++) {
      const [code, message] = (await this.scpi.query('print(errorqueue.next())')).split('\t');
      out.push(`${Math.round(Number(code))},"${(message ?? '').trim()}"`);
    }
    return out;
  }

  protected configureSweep(s: SweepSetup): string[] {
    const c = this.ch;
    const n = s.levelsV.length;
    return [
      `loadscript ${SCRIPT}`,
      `${c}.abort()`,
      `${c}.source.func = ${c}.OUTPUT_DCVOLTS`,
      `${c}.source.levelv = ${scpiNumber(s.biasV)}`,
      `${c}.source.limiti = ${scpiNumber(s.limitA)}`,
      `${c}.measure.nplc = ${scpiNumber(s.nplc)}`,
      s.measureRangeA !== undefined ? `${c}.measure.rangei = ${smallestRange(s.measureRangeA, I_RANGES)}` : `${c}.measure.autorangei = ${c}.AUTORANGE_ON`,
      `${c}.measure.delay = 0`,
      `${c}.nvbuffer1.clear()`,
      `${c}.nvbuffer2.clear()`,
      `${c}.nvbuffer1.collecttimestamps = 1`,
      `${c}.trigger.source.listv({${s.levelsV.map(scpiNumber).join(', ')}})`,
      `${c}.trigger.source.limiti = ${scpiNumber(s.limitA)}`,
      `${c}.trigger.source.action = ${c}.ENABLE`,
      `${c}.trigger.measure.action = ${c}.ENABLE`,
      `${c}.trigger.measure.iv(${c}.nvbuffer1, ${c}.nvbuffer2)`,
      `${c}.trigger.endpulse.action = ${c}.SOURCE_HOLD`,
      `${c}.trigger.endsweep.action = ${c}.SOURCE_IDLE`,
      `${c}.trigger.count = ${n}`,
      `${c}.trigger.arm.stimulus = 0`,
      `trigger.timer[1].count = ${n > 1 ? n - 1 : 1}`,
      // Point i starts durations[i−1] after point i − 1 (passthrough: the first at once).
      `trigger.timer[1].delaylist = {${(n > 1 ? s.durationsS.slice(0, -1) : [s.durationsS[0]]).map(scpiNumber).join(', ')}}`,
      'trigger.timer[1].passthrough = true',
      `trigger.timer[1].stimulus = ${c}.trigger.ARMED_EVENT_ID`,
      'trigger.timer[2].count = 1',
      // Each point's measurement starts in its last aperture (less the example's 60 µs).
      `trigger.timer[2].delaylist = {${measureDelays(s).map(scpiNumber).join(', ')}}`,
      'trigger.timer[2].passthrough = false',
      'trigger.timer[2].stimulus = trigger.timer[1].EVENT_ID',
      `${c}.trigger.source.stimulus = trigger.timer[1].EVENT_ID`,
      `${c}.trigger.measure.stimulus = trigger.timer[2].EVENT_ID`,
      'endscript',
      `${SCRIPT}()`,
    ];
  }

  protected override async outputOn(on: boolean): Promise<void> {
    await this.scpi.write(`${this.output} = ${this.ch}.OUTPUT_${on ? 'ON' : 'OFF'}`);
    const state = await this.printNumber(this.output);
    if (state !== (on ? 1 : 0)) throw new DriverError(`${this.label}: ${this.output} is ${state} after switching it ${on ? 'on' : 'off'}`);
  }

  override async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    const on = (await this.printNumber(this.output)) === 1;
    return { anyOn: on, text: on ? `${this.ch} output ON` : `${this.ch} output off` };
  }

  protected async startSweep(): Promise<void> {
    await this.scpi.write(`${this.ch}.trigger.initiate()`);
  }

  /** Done when every point's reading is in nvbuffer1 (the trigger model then ends at once). */
  protected async pollSweep(count: number): Promise<{ done: boolean; have: number }> {
    const have = await this.printNumber(`${this.ch}.nvbuffer1.n`);
    return { done: have >= count, have };
  }

  protected async readSweep(count: number): Promise<SweepReading[]> {
    const c = this.ch;
    const vals = parseScpiNumbers(await this.scpi.query(`printbuffer(1, ${count}, ${c}.nvbuffer1.readings, ${c}.nvbuffer2.readings, ${c}.nvbuffer1.timestamps)`), 'printbuffer', this.label);
    if (vals.length !== 3 * count) throw new DriverError(`${this.label}: printbuffer returned ${vals.length} values for ${count} readings × 3 (I, V, t)`);
    return Array.from({ length: count }, (_, k) => ({ currentA: vals[3 * k], voltageV: vals[3 * k + 1], tS: vals[3 * k + 2] }));
  }

  protected async abortSweep(): Promise<void> {
    await this.scpi.write(`${this.ch}.abort()`);
  }

  override async settings(): Promise<Record<string, number | string>> {
    const idn = (await this.scpi.query('*IDN?')).split(',').map((x) => x.trim());
    return {
      firmware: idn[3] ?? '',
      serial: idn[2] ?? '',
      channel: this.ch,
      line_frequency_Hz: this.capabilities.lineFrequencyHz,
      nplc_at_start: await this.printNumber(`${this.ch}.measure.nplc`),
    };
  }
}
