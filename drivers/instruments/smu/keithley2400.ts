// Keithley 2400 SourceMeter driver (SourceMeter role; SCPI, instruments.md §1.1). A train
// plays as list sweeps: the 2400 sources each list point, waits its one source delay and
// measures at every point, so segments become whole numbers of equal points
// (point-list.ts) and the readings of non-measuring points are dropped. The list is
// written 100 values per command (`:SOUR:LIST:VOLT`, then `:APPend`) up to 2500 points,
// as the 2400 manual (2400S-900-01 Rev. K, §18) states; readings go to the buffer with
// PyMeasure's sequence (`:TRAC:FEED SENS`, `:TRAC:FEED:CONT NEXT`, buffer full enabled in
// the measurement event register, polled through `*STB?`). Unconfirmed: the per-point
// overhead beyond delay + integration (we allow 0.2 ms; a real 2400 with autozero on
// takes longer, so point periods run slightly long), and the TIME element counting on
// across sweeps.

import { DriverError } from '../errors.ts';
import { smallestRange } from './ranges.ts';
import type { SmuCapabilities } from '../roles.ts';
import { parseScpiNumbers, scpiNumber } from '../scpi-session.ts';
import { ListSweepSmu, type SweepReading, type SweepSetup } from './list-sweep-smu.ts';

const MAX_PER_COMMAND = 100;
const V_RANGES = [0.2, 2, 21, 210];
const I_RANGES = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
/** Allowance per point beyond delay + integration (A/D conversion, trigger layer), s: unconfirmed. */
const POINT_OVERHEAD_S = 0.2e-3;

export const KEITHLEY_2400_CAPABILITIES: SmuCapabilities = {
  maxAbsVoltageV: 210,
  maxAbsCurrentA: 1.05,
  minLimitA: 1e-9,
  nplcRange: [0.01, 10],
  minSegmentS: POINT_OVERHEAD_S,
  maxListPoints: 2500,
  maxReadings: 2500,
  lineFrequencyHz: 50,
};

export class Keithley2400 extends ListSweepSmu {
  readonly model = 'Keithley 2400';
  protected readonly pointOverheadS = POINT_OVERHEAD_S;
  protected readonly output = ':OUTP';
  protected readonly toZero = [':ABOR', ':SOUR:VOLT:MODE FIX', ':SOUR:VOLT 0'];
  readonly capabilities: SmuCapabilities = { ...KEITHLEY_2400_CAPABILITIES };

  async identify(): Promise<string> {
    const idn = await this.checkIdn(/MODEL 24(00|01)\b/, 'a Keithley 2400 or 2401');
    await this.readMainsFrequency();
    return idn;
  }

  protected configureSweep(s: SweepSetup): string[] {
    const vRange = smallestRange(Math.max(...s.levelsV.map(Math.abs), Math.abs(s.biasV)), V_RANGES);
    const cmds = [
      ':ABOR',
      ':SOUR:FUNC VOLT',
      `:SOUR:VOLT:RANG ${vRange}`,
      `:SOUR:VOLT ${scpiNumber(s.biasV)}`,
      ':SOUR:VOLT:MODE LIST',
    ];
    for (let i = 0; i < s.levelsV.length; i += MAX_PER_COMMAND) {
      const part = s.levelsV.slice(i, i + MAX_PER_COMMAND).map(scpiNumber).join(',');
      cmds.push(i === 0 ? `:SOUR:LIST:VOLT ${part}` : `:SOUR:LIST:VOLT:APP ${part}`);
    }
    cmds.push(
      `:SOUR:DEL ${scpiNumber(Math.max(0, s.durationsS[0] - s.apertureS))}`,
      ':SENS:FUNC "CURR"',
      `:SENS:CURR:PROT ${scpiNumber(s.limitA)}`,
      `:SENS:CURR:NPLC ${scpiNumber(s.nplc)}`,
      s.measureRangeA !== undefined ? `:SENS:CURR:RANG ${smallestRange(s.measureRangeA, I_RANGES)}` : ':SENS:CURR:RANG:AUTO ON',
      ':FORM:ELEM VOLT,CURR,TIME',
      ':ARM:COUN 1',
      `:TRIG:COUN ${s.levelsV.length}`,
      '*SRE 1',
      `:STAT:MEAS:ENAB 512`,
      ':TRAC:FEED:CONT NEV',
      ':TRAC:CLE',
      `:TRAC:POIN ${s.levelsV.length}`,
      ':TRAC:FEED SENS',
      ':TRAC:FEED:CONT NEXT',
    );
    return cmds;
  }

  protected async startSweep(): Promise<void> {
    await this.scpi.write(':INIT');
  }

  protected async pollSweep(): Promise<{ done: boolean; have: number }> {
    // Buffer full (measurement event bit 9) → MSB (bit 0) → MSS (bit 6) with *SRE 1: 65.
    const stb = await this.scpi.queryNumber('*STB?');
    const have = await this.scpi.queryNumber(':TRAC:POIN:ACT?');
    return { done: (stb & 65) === 65, have };
  }

  protected async readSweep(count: number): Promise<SweepReading[]> {
    const vals = parseScpiNumbers(await this.scpi.query(':TRAC:DATA?'), ':TRAC:DATA?', this.label);
    if (vals.length < 3 * count) throw new DriverError(`${this.label}: :TRAC:DATA? returned ${vals.length} values for ${count} readings × 3 elements (VOLT, CURR, TIME)`);
    const out: SweepReading[] = [];
    for (let i = 0; i < count; i++) out.push({ voltageV: vals[3 * i], currentA: vals[3 * i + 1], tS: vals[3 * i + 2] });
    // Clear the buffer-full event so the next sweep's poll starts clean.
    await this.scpi.query(':STAT:MEAS?');
    return out;
  }

  protected async abortSweep(): Promise<void> {
    await this.scpi.write(':ABOR');
  }

  override async settings(): Promise<Record<string, number | string>> {
    return {
      ...(await super.settings()),
      line_frequency_Hz: this.capabilities.lineFrequencyHz,
      autozero: (await this.scpi.query(':SYST:AZER?')).trim() === '1' ? 'on' : 'off',
      nplc_at_start: await this.scpi.queryNumber(':SENS:CURR:NPLC?'),
    };
  }
}
