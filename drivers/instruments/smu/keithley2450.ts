// Keithley 2450 driver (SourceMeter role), native SCPI command set (instruments.md §1.2).
// A pulse train is compiled into one source configuration list plus one trigger model,
// started with a single :INIT and read back from defbuffer1: instrument-timed, one
// round trip per train. The trigger-model SCPI forms come from Tektronix's 2450 FET
// example [V]; the :TRIGger:STATe? states polled here are as the 2450 reference manual
// lists them. The manual's performance advice (fewer than 15 blocks, constant delays
// under 254 ms, few configuration-list blocks) is why the compiled model recalls one
// short list per segment. Unconfirmed: the 63-block limit, the shortest reliable segment
// (the Tek TSP example's ~750 µs "source only", itself marked as needing verification),
// and defbuffer1's capacity limit of 11 000 000 readings.

import { AbortedError, DriverError, InstrumentError, checkRange } from '../errors.ts';
import { smallestRange } from './ranges.ts';
import type { OnReadings, SmuCapabilities, SourceMeter } from '../roles.ts';
import { ScpiDriver } from '../scpi-driver.ts';
import { parseErrorReply, parseScpiNumber, parseScpiNumbers, scpiNumber } from '../scpi-session.ts';
import { type Segment, type TrainProgram, type TrainReadings, measurementsIn, programDurationS, programLevels, programSegments } from '../waveform.ts';

const LIST = 'NPTRAIN';
const LISTS_KEPT = 4;
const BUFFER = '"defbuffer1"';
const MAX_BLOCKS = 63;
const V_RANGES = [0.02, 0.2, 2, 20, 200];
const I_RANGES = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
const READOUT_CHUNK = 2000;
/** Alike segments or segment pairs (a staircase, a pulsed sweep) from this many on are played as one list-stepping loop. */
const SWEEP_LOOP_MIN = 4;

export const KEITHLEY_2450_CAPABILITIES: SmuCapabilities = {
  maxAbsVoltageV: 210,
  maxAbsCurrentA: 1.05,
  minLimitA: 1e-9,
  nplcRange: [0.01, 10],
  minSegmentS: 750e-6,
  maxTriggerBlocks: MAX_BLOCKS,
  maxReadings: 11_000_000,
  lineFrequencyHz: 50,
};

function dataQuery(start: number, end: number): string {
  return `:TRAC:DATA? ${start}, ${end}, ${BUFFER}, READ, SOUR, REL`;
}


export class Keithley2450 extends ScpiDriver implements SourceMeter {
  readonly role = 'source-meter' as const;
  readonly model = 'Keithley 2450';
  /** Per instrument: the mains frequency is read from it at identification. */
  readonly capabilities: SmuCapabilities = { ...KEITHLEY_2450_CAPABILITIES };
  /** Source configuration lists on the instrument, by content: a program seen before reuses its list (LTP/LTD alternates two). */
  private readonly lists = new Map<string, string>();
  private readonly createdLists = new Set<string>();
  private nextList = 0;
  /** The sense set-up last sent (NPLC, range): not re-sent while unchanged. */
  private senseSent = '';

  async identify(): Promise<string> {
    const idn = await this.checkIdn(/2450/, 'a Keithley 2450');
    const lang = await this.scpi.query('*LANG?');
    if (lang.trim().toUpperCase() !== 'SCPI') {
      throw new DriverError(`${this.label}: command language is "${lang.trim()}"; set it to SCPI (*LANG SCPI, then power-cycle)`);
    }
    // NPLC read apertures follow the mains the instrument measured (50 or 60 Hz), never an assumption.
    const lfr = await this.scpi.queryNumber(':SYST:LFR?');
    if (lfr !== 50 && lfr !== 60) throw new DriverError(`${this.label}: :SYST:LFR? answered ${lfr}, not 50 or 60 Hz`);
    this.capabilities.lineFrequencyHz = lfr;
    return idn.trim();
  }

  override async reset(): Promise<void> {
    this.forgetInstrumentState();
    await super.reset();
  }

  validateTrain(p: TrainProgram): void {
    const c = this.capabilities;
    const L = this.label;
    const segments = programSegments(p);
    if (segments.length === 0) throw new DriverError(`${L}: the train has no segments`);
    if (!Number.isInteger(p.repeat) || p.repeat < 1) throw new DriverError(`${L}: repeat count ${p.repeat} must be a whole number ≥ 1`);
    const blocks = this.triggerBlocks(p, LIST).length;
    if (blocks > MAX_BLOCKS) throw new DriverError(`${L}: the train needs ${blocks} trigger-model blocks (at most ${MAX_BLOCKS}); use fewer segments`);
    checkRange(L, 'current limit', p.limitA, c.minLimitA, c.maxAbsCurrentA, 'A');
    checkRange(L, 'NPLC', p.nplc, c.nplcRange[0], c.nplcRange[1], 'PLC');
    if (p.measureRangeA !== undefined) checkRange(L, 'current measure range', p.measureRangeA, 1e-8, 1, 'A');
    for (const [i, s] of segments.entries()) {
      checkRange(L, `segment ${i + 1} level`, s.levelV, -c.maxAbsVoltageV, c.maxAbsVoltageV, 'V');
      if (s.durationS !== 0) checkRange(L, `segment ${i + 1} duration`, s.durationS, c.minSegmentS, 1e5, 's');
    }
    const n = measurementsIn(p);
    if (n < 1) throw new DriverError(`${L}: the train measures nothing`);
    if (n > c.maxReadings) throw new DriverError(`${L}: ${n} readings exceed the buffer (at most ${c.maxReadings})`);
  }

  /** What the instrument keeps between trains is unknown after a reset or an error: send everything again. */
  private forgetInstrumentState(): void {
    this.lists.clear();
    this.createdLists.clear();
    this.nextList = 0;
    this.senseSent = '';
  }

  /**
   * The train's commands. The source levels go into a configuration list (each entry also
   * holds the source range and current limit); a list with the same content from an
   * earlier train is recalled as it is, and an unchanged sense set-up is not re-sent, so
   * a train after the first costs little more than its trigger model.
   */
  private compile(p: TrainProgram): { cmds: string[]; list: string; listKey: string; sense: string } {
    const levels = programLevels(p);
    const vRange = smallestRange(Math.max(...levels.map(Math.abs)), V_RANGES);
    const cmds = [':ABOR', ':TRIG:LOAD "Empty"'];
    const sense = [
      ':SENS:FUNC "CURR"',
      `:SENS:CURR:NPLC ${scpiNumber(p.nplc)}`,
      p.measureRangeA !== undefined ? `:SENS:CURR:RANG ${smallestRange(p.measureRangeA, I_RANGES)}` : ':SENS:CURR:RANG:AUTO ON',
    ];
    if (sense.join(';') !== this.senseSent) cmds.push(...sense);
    const listKey = JSON.stringify([vRange, p.limitA, levels]);
    let list = this.lists.get(listKey);
    if (list === undefined) {
      // Up to LISTS_KEPT lists live on the instrument; the oldest name is reused beyond that.
      list = `${LIST}${(this.nextList++ % LISTS_KEPT) + 1}`;
      for (const [k, name] of this.lists) if (name === list) this.lists.delete(k);
      cmds.push(':SOUR:FUNC VOLT', ':SOUR:VOLT 0', `:SOUR:VOLT:RANG ${vRange}`, `:SOUR:VOLT:ILIM ${scpiNumber(p.limitA)}`);
      if (this.createdLists.has(list)) cmds.push(`:SOUR:CONF:LIST:DEL "${list}"`);
      cmds.push(`:SOUR:CONF:LIST:CRE "${list}"`);
      for (const v of levels) cmds.push(`:SOUR:VOLT ${scpiNumber(v)};:SOUR:CONF:LIST:STOR "${list}"`);
      cmds.push(':SOUR:VOLT 0');
    }
    if (programSegments(p).some((s) => s.triggerOut)) cmds.push(':DIG:LINE1:MODE TRIG, OUT', ':TRIG:DIG1:OUT:STIM NOT1');
    cmds.push(...this.triggerBlocks(p, list));
    return { cmds, list, listKey, sense: sense.join(';') };
  }

  /**
   * The trigger model of a train: one config-list recall per segment, the unit looped by a
   * counter. In the prologue and epilogue, a run of segments alike but for their level
   * (a staircase sweep) becomes one loop that steps through the list with CONF:NEXT, so a
   * sweep of any length costs a handful of blocks. Runs inside the repeated unit stay
   * unrolled: a branch counter is not reset between outer repeats (unconfirmed whether the
   * 2450 resets it; the counter-reset block would be needed).
   */
  private triggerBlocks(p: TrainProgram, list: string): string[] {
    const out: string[] = [];
    let blk = 1;
    out.push(`:TRIG:BLOC:BUFF:CLE ${blk++}, ${BUFFER}`);
    out.push(`:TRIG:BLOC:CONF:RECALL ${blk++}, "${list}", 1`);
    out.push(`:TRIG:BLOC:SOUR:STAT ${blk++}, ON`);
    const body = (s: Segment) => {
      if (s.triggerOut) out.push(`:TRIG:BLOC:NOT ${blk++}, 1`);
      if (s.durationS > 0) out.push(`:TRIG:BLOC:DEL:CONS ${blk++}, ${scpiNumber(s.durationS)}`);
      if (s.measure) out.push(`:TRIG:BLOC:MEAS ${blk++}, ${BUFFER}`);
    };
    const emit = (s: Segment, index: number) => {
      out.push(`:TRIG:BLOC:CONF:RECALL ${blk++}, "${list}", ${index}`);
      body(s);
    };
    const alike = (a: Segment, b: Segment) => a.durationS === b.durationS && !!a.measure === !!b.measure && !!a.triggerOut === !!b.triggerOut;
    // A stretch of units (one segment, or a pair such as pulse + rest) alike but for their
    // levels becomes one loop: the body plays each segment and steps to the next list entry.
    const emitStretch = (segs: Segment[], firstIndex: number) => {
      for (let i = 0; i < segs.length; ) {
        let best = { period: 1, units: 1 };
        for (const period of [1, 2]) {
          let units = 1;
          while (i + (units + 1) * period <= segs.length && Array.from({ length: period }, (_, q) => alike(segs[i + q], segs[i + units * period + q])).every(Boolean)) units++;
          if (units >= SWEEP_LOOP_MIN && units * period > best.units * best.period) best = { period, units };
        }
        if (best.units >= SWEEP_LOOP_MIN) {
          out.push(`:TRIG:BLOC:CONF:RECALL ${blk++}, "${list}", ${firstIndex + i}`);
          const start = blk;
          for (let q = 0; q < best.period; q++) {
            body(segs[i + q]);
            out.push(`:TRIG:BLOC:CONF:NEXT ${blk++}, "${list}"`);
          }
          out.push(`:TRIG:BLOC:BRAN:COUN ${blk++}, ${best.units}, ${start}`);
          i += best.units * best.period;
        } else {
          emit(segs[i], firstIndex + i);
          i++;
        }
      }
    };
    emitStretch(p.prologue, 1);
    const unitStart = blk;
    p.unit.forEach((s, i) => emit(s, p.prologue.length + i + 1));
    if (p.repeat > 1) out.push(`:TRIG:BLOC:BRAN:COUN ${blk++}, ${p.repeat}, ${unitStart}`);
    emitStretch(p.epilogue ?? [], p.prologue.length + p.unit.length + 1);
    out.push(`:TRIG:BLOC:SOUR:STAT ${blk++}, OFF`);
    return out;
  }

  async runTrain(p: TrainProgram, signal?: AbortSignal, onReadings?: OnReadings): Promise<TrainReadings> {
    this.validateTrain(p);
    const expected = measurementsIn(p);
    const { cmds, list, listKey, sense } = this.compile(p);
    try {
      await this.scpi.writeAll(cmds);
      // The buffer's capacity (it may have been changed at the front panel) and the first
      // error-queue entry in one round trip.
      const reply = await this.scpi.query(`:TRAC:POIN? ${BUFFER};:SYST:ERR?`);
      const cut = reply.indexOf(';');
      await this.throwIfError(reply.slice(cut + 1), 'while configuring the pulse train');
      if (parseScpiNumber(reply.slice(0, Math.max(0, cut)), `:TRAC:POIN? ${BUFFER}`, this.label) < expected) {
        await this.scpi.write(`:TRAC:POIN ${expected}, ${BUFFER}`);
        await this.scpi.checkErrors('while sizing the reading buffer');
      }
    } catch (e) {
      this.forgetInstrumentState();
      throw e;
    }
    // Accepted without error: the instrument now holds this list and sense set-up.
    this.createdLists.add(list);
    this.lists.set(listKey, list);
    this.senseSent = sense;
    if (signal?.aborted) throw new AbortedError('pulse train');

    await this.scpi.write(':INIT');
    const apertureS = p.nplc / this.capabilities.lineFrequencyHz;
    const expectedMs = programDurationS(p, apertureS) * 1000;
    const startMs = Date.now();
    const deadline = startMs + expectedMs * 1.5 + 10_000;
    let have = 0;
    // Done when the trigger model is idle, not when the buffer is full: the blocks after
    // the last measurement (rest delay, output off) are still playing until then.
    // One round trip per look: the state and the reading count in one message.
    for (;;) {
      const pollQuery = `:TRIG:STAT?;:TRAC:ACT? ${BUFFER}`;
      const poll = (await this.scpi.query(pollQuery)).trim();
      // `<state>;<state>;<last block>` (the 2450 manual's layout), then the reading count.
      const m = /^([A-Z]+;[A-Z]+;\d+);(\d+)$/i.exec(poll);
      if (!m) throw new DriverError(`${this.label}: reply to ${pollQuery} is not a trigger state and a reading count: "${poll.slice(0, 80)}"`);
      const state = m[1];
      have = Number(m[2]);
      try {
        onReadings?.(have, expected, Math.max(0, (startMs + expectedMs - Date.now()) / 1000));
      } catch {
        // A listener's failure (e.g. one that reports an abort) must not skip the :ABOR below.
      }
      if (/^(IDLE|ABORTED|FAILED)/i.test(state)) {
        if (have >= expected && /^IDLE/i.test(state)) break;
        this.forgetInstrumentState();
        await this.scpi.checkErrors('while playing the pulse train');
        throw new DriverError(`${this.label}: trigger model stopped (${state}) after ${have} of ${expected} readings`);
      }
      if (signal?.aborted) {
        await this.scpi.write(':ABOR');
        // Keep what the train measured before the abort: raw data is never thrown away.
        const got = await this.scpi.queryNumber(`:TRAC:ACT? ${BUFFER}`);
        throw new AbortedError('pulse train', await this.readBuffer(got));
      }
      if (Date.now() > deadline) {
        await this.scpi.write(':ABOR');
        throw new DriverError(`${this.label}: pulse train did not finish in time (${have} of ${expected} readings)`);
      }
      // Until the train should be done, look in every 50 ms (progress, abort); then every 1 ms, so the next train starts soon after this one ends.
      const untilEnd = startMs + expectedMs - Date.now();
      await new Promise((r) => setTimeout(r, untilEnd > 1 ? Math.min(50, untilEnd) : 1));
    }
    return this.readTrain(expected);
  }

  /**
   * A finished train's readings, the first reading's instrument-clock stamp (SEConds +
   * FRACtional, so consecutive trains share one clock) and the first error-queue entry:
   * for a train that fits one readout chunk, all three in one message and one round trip.
   */
  private async readTrain(expected: number): Promise<TrainReadings> {
    const stampQuery = `:TRAC:DATA? 1, 1, ${BUFFER}, SEC, FRAC`;
    let readings: TrainReadings;
    let parts: string[];
    if (expected <= READOUT_CHUNK) {
      parts = (await this.scpi.query(`${dataQuery(1, expected)};${stampQuery};:SYST:ERR?`)).split(';');
      if (parts.length < 3) throw new DriverError(`${this.label}: the reply to the train readout has ${parts.length} parts, not 3 (data; stamp; error)`);
      readings = this.parseData(parts[0], 1, expected);
    } else {
      readings = await this.readBuffer(expected);
      parts = ['', ...(await this.scpi.query(`${stampQuery};:SYST:ERR?`)).split(';')];
    }
    const stamp = parseScpiNumbers(parts[1], ':TRAC:DATA? SEC, FRAC', this.label);
    if (stamp.length === 2) readings.firstReadClockS = stamp[0] + stamp[1];
    await this.throwIfError(parts.slice(2).join(';'), 'after the pulse train');
    return readings;
  }

  /** Given the reply to one :SYST:ERR?, reads the rest of the queue and throws them all when it is not "no error". */
  private async throwIfError(reply: string, context: string): Promise<void> {
    const [code, text] = parseErrorReply(reply, this.label);
    if (code === 0) return;
    this.forgetInstrumentState();
    const rest: string[] = [];
    try {
      await this.scpi.checkErrors(context);
    } catch (e) {
      if (e instanceof InstrumentError) rest.push(...e.entries);
      else throw e;
    }
    throw new InstrumentError(this.label, [`${code},"${text}"`, ...rest], context);
  }

  /** Reads readings 1..count of defbuffer1 (current, source voltage, relative time), in chunks. */
  private async readBuffer(count: number): Promise<TrainReadings> {
    const out: TrainReadings = { currentA: [], voltageV: [], timeS: [] };
    for (let start = 1; start <= count; start += READOUT_CHUNK) {
      const end = Math.min(count, start + READOUT_CHUNK - 1);
      const r = this.parseData(await this.scpi.query(dataQuery(start, end)), start, end);
      for (let i = 0; i < r.currentA.length; i++) {
        out.currentA.push(r.currentA[i]);
        out.voltageV.push(r.voltageV[i]);
        out.timeS.push(r.timeS[i]);
      }
    }
    return out;
  }

  private parseData(reply: string, start: number, end: number): TrainReadings {
    const vals = parseScpiNumbers(reply, ':TRAC:DATA?', this.label);
    if (vals.length !== 3 * (end - start + 1)) {
      throw new DriverError(`${this.label}: :TRAC:DATA? returned ${vals.length} values for ${end - start + 1} readings × 3 elements`);
    }
    const r: TrainReadings = { currentA: [], voltageV: [], timeS: [] };
    for (let i = 0; i < vals.length; i += 3) {
      r.currentA.push(vals[i]);
      r.voltageV.push(vals[i + 1]);
      r.timeS.push(vals[i + 2]);
    }
    return r;
  }

  /** Instrument-level settings at run start (per-train NPLC, ranges and limits are the protocol's parameters). */
  override async settings(): Promise<Record<string, number | string>> {
    return {
      ...(await super.settings()),
      line_frequency_Hz: this.capabilities.lineFrequencyHz,
      autozero: (await this.scpi.query(':SENS:CURR:AZER?')).trim() === '1' ? 'on' : 'off',
      source_delay: (await this.scpi.query(':SOUR:VOLT:DEL:AUTO?')).trim() === '1' ? 'auto' : 'fixed',
      nplc_at_start: await this.scpi.queryNumber(':SENS:CURR:NPLC?'),
      current_autorange_at_start: (await this.scpi.query(':SENS:CURR:RANG:AUTO?')).trim() === '1' ? 'on' : 'off',
    };
  }

  /** Stops the trigger model, sets 0 V, switches the output off and confirms it (the query also proves the commands were processed). */
  /** The output state as a phrase (a query only: nothing is changed). */
  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    const on = (await this.scpi.query(':OUTP?')).trim() === '1';
    return { anyOn: on, text: on ? 'output ON' : 'output off' };
  }

  async safeOff(): Promise<void> {
    await this.scpi.writeAll([':ABOR', ':SOUR:VOLT 0', ':OUTP OFF']);
    const state = (await this.scpi.query(':OUTP?')).trim();
    if (state !== '0') throw new DriverError(`${this.label}: output still reports "${state}" after :OUTP OFF`);
  }
}
