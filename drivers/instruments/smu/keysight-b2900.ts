// Keysight B2901A/B2902A driver, channel 1 (SourceMeter role; SCPI, instruments.md §1.4).
// A train plays as timer-triggered list sweeps: one trigger timer period per point, the
// level sourced at each trigger, the acquisition delayed to the period's last aperture
// (`:TRIG:ACQ:DEL`), every point measured into the trace buffer and the readings of
// non-measuring points dropped (point-list.ts). Command forms follow the ViPSA B2902B
// sequence and QCoDeS; "Ch1 Buffer Full" is bit 4 of the measurement status condition
// register (B2900 SCPI Command Reference, Table 4-5). Unconfirmed: 2500 list points per
// sweep, the 0.1 ms per-point allowance beyond the aperture, `:SYST:LFR?`, and the TIME
// element counting on across sweeps.

import { DriverError } from '../errors.ts';
import { smallestRange } from './ranges.ts';
import type { SmuCapabilities } from '../roles.ts';
import { parseScpiNumbers, scpiNumber } from '../scpi-session.ts';
import { ListSweepSmu, type SweepReading, type SweepSetup } from './list-sweep-smu.ts';

const V_RANGES = [0.2, 2, 20, 200];
const I_RANGES = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1.5, 3];
const POINT_OVERHEAD_S = 0.1e-3;
const BUFFER_FULL_CH1 = 16;

export const KEYSIGHT_B2900_CAPABILITIES: SmuCapabilities = {
  maxAbsVoltageV: 210,
  maxAbsCurrentA: 3,
  minLimitA: 1e-9,
  nplcRange: [4e-4, 100],
  minSegmentS: POINT_OVERHEAD_S,
  maxListPoints: 2500,
  maxReadings: 100_000,
  lineFrequencyHz: 50,
};

export class KeysightB2900 extends ListSweepSmu {
  readonly model = 'Keysight B2900';
  protected readonly pointOverheadS = POINT_OVERHEAD_S;
  protected readonly output = ':OUTP1';
  protected readonly toZero = [':ABOR (@1)', ':SOUR1:VOLT:MODE FIX', ':SOUR1:VOLT 0'];
  readonly capabilities: SmuCapabilities = { ...KEYSIGHT_B2900_CAPABILITIES };

  async identify(): Promise<string> {
    const idn = await this.checkIdn(/,B29(01|02|11|12)[AB]?,/, 'a Keysight B2901/B2902/B2911/B2912');
    await this.readMainsFrequency();
    return idn;
  }

  protected configureSweep(s: SweepSetup): string[] {
    const vRange = smallestRange(Math.max(...s.levelsV.map(Math.abs), Math.abs(s.biasV)), V_RANGES);
    return [
      ':ABOR (@1)',
      ':SOUR1:FUNC:MODE VOLT',
      `:SOUR1:VOLT:RANG ${vRange}`,
      `:SOUR1:VOLT ${scpiNumber(s.biasV)}`,
      ':SOUR1:VOLT:MODE LIST',
      `:SOUR1:LIST:VOLT ${s.levelsV.map(scpiNumber).join(',')}`,
      ':SENS1:FUNC "CURR"',
      `:SENS1:CURR:PROT ${scpiNumber(s.limitA)}`,
      `:SENS1:CURR:NPLC ${scpiNumber(s.nplc)}`,
      s.measureRangeA !== undefined ? `:SENS1:CURR:RANG ${smallestRange(s.measureRangeA, I_RANGES)}` : ':SENS1:CURR:RANG:AUTO ON',
      ':TRIG1:SOUR TIM',
      `:TRIG1:TIM ${scpiNumber(s.durationsS[0])}`,
      `:TRIG1:COUN ${s.levelsV.length}`,
      ':TRIG1:TRAN:DEL 0',
      // Acquire in the period's last aperture (less a margin for the conversion).
      `:TRIG1:ACQ:DEL ${scpiNumber(Math.max(0, s.durationsS[0] - s.apertureS - POINT_OVERHEAD_S / 2))}`,
      ':FORM:ELEM:SENS VOLT,CURR,TIME',
      ':TRAC1:FEED:CONT NEV',
      ':TRAC1:CLE',
      `:TRAC1:POIN ${s.levelsV.length}`,
      ':TRAC1:FEED SENS',
      ':TRAC1:FEED:CONT NEXT',
    ];
  }

  protected async startSweep(): Promise<void> {
    await this.scpi.write(':INIT (@1)');
  }

  protected async pollSweep(): Promise<{ done: boolean; have: number }> {
    const cond = await this.scpi.queryNumber(':STAT:MEAS:COND?');
    const have = await this.scpi.queryNumber(':TRAC1:POIN:ACT?');
    return { done: (cond & BUFFER_FULL_CH1) !== 0, have };
  }

  protected async readSweep(count: number): Promise<SweepReading[]> {
    const arr = async (e: string) => parseScpiNumbers(await this.scpi.query(`:FETC:ARR:${e}? (@1)`), `:FETC:ARR:${e}?`, this.label);
    const [i, v, t] = [await arr('CURR'), await arr('VOLT'), await arr('TIME')];
    if (i.length < count || v.length < count || t.length < count) throw new DriverError(`${this.label}: :FETC:ARR? returned ${i.length}/${v.length}/${t.length} values (CURR/VOLT/TIME) for ${count} readings`);
    return Array.from({ length: count }, (_, k) => ({ currentA: i[k], voltageV: v[k], tS: t[k] }));
  }

  protected async abortSweep(): Promise<void> {
    await this.scpi.write(':ABOR (@1)');
  }

  override async settings(): Promise<Record<string, number | string>> {
    return {
      ...(await super.settings()),
      line_frequency_Hz: this.capabilities.lineFrequencyHz,
      nplc_at_start: await this.scpi.queryNumber(':SENS1:CURR:NPLC?'),
    };
  }
}
