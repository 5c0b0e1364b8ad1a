// Keysight InfiniiVision 3000T / 4000 X oscilloscope driver (Oscilloscope role), SCPI.
// One acquisition per captured pulse: timebase with the reference at the left edge,
// vertical scale/offset per channel, edge trigger on EXTernal (the SMU's digital line),
// :SINGle, wait for the acquisition to stop, then per channel :WAV:SOUR, WORD format,
// LSB first, unsigned, RAW points, :WAV:PRE? and :WAV:DATA? as a definite-length block.
// Scaling from the preamble: V = (code − yreference)·yincrement + yorigin,
// t = (i − xreference)·xincrement + xorigin (preamble layout format, type, points, count,
// xinc, xorig, xref, yinc, yorig, yref, as in Keysight's programmer's guide examples).
// Unconfirmed without the manual at hand: that bit 3 (value 8) of :OPERegister:CONDition?
// is "Run" and clears when a single acquisition has completed; the ranges below (scale
// 1 mV–5 V/div at 1 MΩ, 1 ns–50 s/div) are the 3000T data-sheet figures as commonly quoted.

import { AbortedError, DriverError, checkRange } from '../errors.ts';
import type { Oscilloscope, ScopeCapabilities, ScopeRecord, ScopeSetup } from '../roles.ts';
import { ScpiDriver } from '../scpi-driver.ts';
import { parseScpiNumbers, scpiNumber } from '../scpi-session.ts';
import { decodeBlock } from '../../scpi/block.ts';

export const INFINIIVISION_CAPABILITIES: ScopeCapabilities = {
  channels: 4,
  maxPoints: 62_500,
  scaleRangeV: [1e-3, 5],
  timeScaleRangeS: [1e-9, 50],
  adcBits: 8,
};

const RUN_BIT = 8;

export class InfiniiVision extends ScpiDriver implements Oscilloscope {
  readonly role = 'oscilloscope' as const;
  readonly model = 'Keysight InfiniiVision';
  readonly capabilities = INFINIIVISION_CAPABILITIES;

  identify(): Promise<string> {
    // e.g. "KEYSIGHT TECHNOLOGIES,DSOX3024T,MY…,07.50…" or "AGILENT TECHNOLOGIES,MSO-X 4054A,…".
    return this.checkIdn(/^(KEYSIGHT|AGILENT)[^,]*,\s*[DM]SO-?X\s*[34]\d{3}[AGT]?\s*,/i, 'an InfiniiVision 3000/4000 X-series oscilloscope');
  }

  validate(s: ScopeSetup): void {
    const c = this.capabilities;
    const L = this.label;
    checkRange(L, 'time scale', s.timeScaleS, c.timeScaleRangeS[0], c.timeScaleRangeS[1], 's/div');
    checkRange(L, 'record points', s.points, 100, c.maxPoints, 'points');
    if (!Number.isInteger(s.points)) throw new DriverError(`${L}: record points ${s.points} must be a whole number`);
    if (s.channels.length === 0) throw new DriverError(`${L}: no channel to capture`);
    for (const ch of s.channels) {
      if (!Number.isInteger(ch.channel) || ch.channel < 1 || ch.channel > c.channels) throw new DriverError(`${L}: channel ${ch.channel} does not exist (1..${c.channels})`);
      checkRange(L, `channel ${ch.channel} scale`, ch.scaleV, c.scaleRangeV[0], c.scaleRangeV[1], 'V/div');
    }
    checkRange(L, 'trigger level', s.triggerLevelV, -8, 8, 'V');
  }

  async configure(s: ScopeSetup): Promise<void> {
    this.validate(s);
    const cmds = [':STOP', ':TIM:MODE MAIN', ':TIM:REF LEFT', `:TIM:SCAL ${scpiNumber(s.timeScaleS)}`, `:TIM:POS ${scpiNumber(s.startS)}`, ':ACQ:TYPE NORM'];
    for (const ch of s.channels) {
      cmds.push(`:CHAN${ch.channel}:DISP 1`, `:CHAN${ch.channel}:COUP DC`, `:CHAN${ch.channel}:SCAL ${scpiNumber(ch.scaleV)}`, `:CHAN${ch.channel}:OFFS ${scpiNumber(ch.offsetV)}`);
    }
    cmds.push(':TRIG:MODE EDGE', ':TRIG:EDGE:SOUR EXT', ':TRIG:EDGE:SLOP POS', `:TRIG:EDGE:LEV ${scpiNumber(s.triggerLevelV)}`, ':TRIG:SWE NORM');
    cmds.push(':WAV:FORM WORD', ':WAV:BYT LSBF', ':WAV:UNS 1', ':WAV:POIN:MODE RAW', `:WAV:POIN ${s.points}`);
    await this.scpi.writeAll(cmds);
    await this.scpi.checkErrors('while configuring the acquisition');
  }

  async arm(): Promise<void> {
    await this.scpi.write(':SING');
    // Query back so the arm has been processed before the SMU fires the trigger.
    await this.scpi.query('*OPC?');
  }

  async fetch(channels: number[], timeoutMs: number, signal?: AbortSignal): Promise<ScopeRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cond = Number((await this.scpi.query(':OPER:COND?')).trim());
      if (!Number.isInteger(cond)) throw new DriverError(`${this.label}: :OPER:COND? answered a non-integer`);
      if ((cond & RUN_BIT) === 0) break;
      if (signal?.aborted) throw new AbortedError('waveform capture');
      if (Date.now() > deadline) throw new DriverError(`${this.label}: no trigger within ${timeoutMs} ms (is the EXT trigger wired to the SMU's digital line?)`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const volts: number[][] = [];
    let timeS: number[] = [];
    for (const ch of channels) {
      await this.scpi.write(`:WAV:SOUR CHAN${ch}`);
      const pre = parseScpiNumbers(await this.scpi.query(':WAV:PRE?'), ':WAV:PRE?', this.label);
      if (pre.length !== 10) throw new DriverError(`${this.label}: :WAV:PRE? returned ${pre.length} values, expected 10`);
      const [format, , points, , xinc, xorig, xref, yinc, yorig, yref] = pre;
      if (format !== 1) throw new DriverError(`${this.label}: waveform format ${format} is not WORD (1)`);
      let data: Buffer;
      try {
        data = decodeBlock(await this.scpi.query(':WAV:DATA?', Math.max(5000, timeoutMs)), `${this.label} :WAV:DATA?`);
      } catch (e) {
        throw new DriverError((e as Error).message);
      }
      if (data.length !== 2 * points) throw new DriverError(`${this.label}: :WAV:DATA? carried ${data.length} bytes for ${points} WORD points`);
      const v = new Array<number>(points);
      for (let i = 0; i < points; i++) v[i] = (data.readUInt16LE(2 * i) - yref) * yinc + yorig;
      volts.push(v);
      if (timeS.length === 0) timeS = Array.from({ length: points }, (_, i) => (i - xref) * xinc + xorig);
    }
    await this.scpi.checkErrors('after reading the waveforms');
    return { timeS, volts };
  }

  async safeOff(): Promise<void> {
    await this.scpi.write(':STOP');
    await this.scpi.query('*OPC?');
  }

  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    const cond = Number((await this.scpi.query(':OPER:COND?')).trim());
    return { anyOn: false, text: (cond & RUN_BIT) !== 0 ? 'acquiring' : 'stopped' };
  }
}
