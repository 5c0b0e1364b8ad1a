// Keysight 33500B-series driver (PulseGenerator role), SCPI (instruments.md §2.1).
// A train of pulses is a triggered burst: each trigger (the SMU's digital line on
// Ext Trig, or *TRG) plays `count` pulses timed by the generator.
// Negative pulses use inverted polarity with HIGH = 0 so the idle level stays at 0 V.
// Limits follow the 33500B data in PyMeasure/QCoDeS [L] (width 16 ns–1e6 s, period
// 33 ns–1e6 s, ±5 V into 50 Ω, ±10 V into high-Z); the output load is set to high-Z
// because a device under test is not a 50 Ω load.

import { DriverError, checkRange } from '../errors.ts';
import type { ArbitrarySetup, PulseGenCapabilities, PulseGenerator, PulseSetup } from '../roles.ts';
import { encodeBlock } from '../../scpi/block.ts';
import { ScpiDriver } from '../scpi-driver.ts';
import { validatePulseSetup } from './validate-pulses.ts';
import { scpiNumber } from '../scpi-session.ts';

export const KEYSIGHT_33500B_CAPABILITIES: PulseGenCapabilities = {
  channels: 2,
  maxAbsLevelV: 10,
  minAmplitudeV: 1e-3,
  widthRangeS: [16e-9, 1e6],
  periodRangeS: [33e-9, 1e6],
  maxBurstCount: 1e8,
};

export class Keysight33500B extends ScpiDriver implements PulseGenerator {
  readonly role = 'pulse-generator' as const;
  readonly model = 'Keysight 33500B';
  readonly capabilities = KEYSIGHT_33500B_CAPABILITIES;

  identify(): Promise<string> {
    return this.checkIdn(/,\s*335\d\d[AB]?\s*,/, 'a 33500-series generator');
  }

  validatePulses(s: PulseSetup): void {
    validatePulseSetup(this.label, this.capabilities, s);
  }

  async armPulses(s: PulseSetup): Promise<void> {
    this.validatePulses(s);
    const ch = s.channel;
    const src = `:SOUR${ch}`;
    // Set period/width and high/low in an order that never crosses the other value.
    const width = await this.scpi.queryNumber(`${src}:FUNC:PULS:WIDT?`);
    const high = await this.scpi.queryNumber(`${src}:VOLT:HIGH?`);
    const [newHigh, newLow] = s.amplitudeV > 0 ? [s.amplitudeV, 0] : [0, s.amplitudeV];
    const timing =
      s.periodS > width
        ? [`${src}:FUNC:PULS:PER ${scpiNumber(s.periodS)}`, `${src}:FUNC:PULS:WIDT ${scpiNumber(s.widthS)}`]
        : [`${src}:FUNC:PULS:WIDT ${scpiNumber(s.widthS)}`, `${src}:FUNC:PULS:PER ${scpiNumber(s.periodS)}`];
    const levels = newLow >= high ? [`${src}:VOLT:HIGH ${scpiNumber(newHigh)}`, `${src}:VOLT:LOW ${scpiNumber(newLow)}`] : [`${src}:VOLT:LOW ${scpiNumber(newLow)}`, `${src}:VOLT:HIGH ${scpiNumber(newHigh)}`];
    await this.scpi.writeAll([
      `:OUTP${ch} OFF`,
      `${src}:FUNC PULS`,
      `:OUTP${ch}:LOAD INF`,
      ...timing,
      ...levels,
      `:OUTP${ch}:POL ${s.amplitudeV > 0 ? 'NORM' : 'INV'}`,
      `${src}:BURS:MODE TRIG`,
      `${src}:BURS:NCYC ${s.count}`,
      `${src}:BURS:STAT ON`,
      `:TRIG${ch}:SOUR ${s.trigger === 'external' ? 'EXT' : 'BUS'}`,
      `:OUTP${ch} ON`,
    ]);
    await this.scpi.checkErrors('while configuring pulses');
  }

  /**
   * Arbitrary waveforms: points −1…+1 as big-endian float32 in one definite-length block
   * (DATA:ARB; FORM:BORD NORM), scaled by VOLT (peak to peak) and VOLT:OFFS, played once per
   * trigger as a burst of one cycle at FUNC:ARB:SRAT, filter OFF (sample and hold).
   * Unconfirmed against the manual here: 65 536 points as the limit we allow (the 33500B's
   * standard memory is larger) and 250 MSa/s as the top rate (33522B; others are lower).
   */
  validateArbitrary(s: ArbitrarySetup): void {
    const L = this.label;
    if (!Number.isInteger(s.channel) || s.channel < 1 || s.channel > this.capabilities.channels) throw new DriverError(`${L}: channel ${s.channel} does not exist (1..${this.capabilities.channels})`);
    checkRange(L, 'arbitrary waveform points', s.samplesV.length, 8, 65_536, 'points');
    checkRange(L, 'sample rate', s.sampleRateSa, 1e-6, 250e6, 'Sa/s');
    for (const v of s.samplesV) checkRange(L, 'arbitrary waveform level', v, -this.capabilities.maxAbsLevelV, this.capabilities.maxAbsLevelV, 'V');
  }

  async armArbitrary(s: ArbitrarySetup): Promise<void> {
    this.validateArbitrary(s);
    const ch = s.channel;
    const src = `:SOUR${ch}`;
    const hi = Math.max(...s.samplesV);
    const lo = Math.min(...s.samplesV);
    // A flat waveform still needs a non-zero amplitude; 1 mV is the smallest the instrument takes.
    const pp = Math.max(hi - lo, 1e-3);
    const offset = (hi + lo) / 2;
    const block = Buffer.alloc(4 * s.samplesV.length);
    s.samplesV.forEach((v, k) => block.writeFloatBE(Math.max(-1, Math.min(1, (2 * (v - offset)) / pp)), 4 * k));
    await this.scpi.writeAll([`:OUTP${ch} OFF`, `${src}:DATA:VOL:CLE`, ':FORM:BORD NORM']);
    await this.scpi.write(`${src}:DATA:ARB NPARB, ${encodeBlock(block)}`);
    await this.scpi.writeAll([
      `${src}:FUNC ARB`,
      `${src}:FUNC:ARB NPARB`,
      `${src}:FUNC:ARB:SRAT ${scpiNumber(s.sampleRateSa)}`,
      `${src}:FUNC:ARB:FILT OFF`,
      `:OUTP${ch}:LOAD INF`,
      `${src}:VOLT ${scpiNumber(pp)}`,
      `${src}:VOLT:OFFS ${scpiNumber(offset)}`,
      `${src}:BURS:MODE TRIG`,
      `${src}:BURS:NCYC 1`,
      `${src}:BURS:STAT ON`,
      `:TRIG${ch}:SOUR ${s.trigger === 'external' ? 'EXT' : 'BUS'}`,
      `:OUTP${ch} ON`,
    ]);
    await this.scpi.checkErrors('while loading the arbitrary waveform');
  }

  async trigger(): Promise<void> {
    await this.scpi.write('*TRG');
    await this.scpi.query('*OPC?');
  }

  /** Both outputs off, confirmed by querying them back. */
  /** The outputs' states as a phrase (a query only: nothing is changed). */
  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    const states = (await this.scpi.query(':OUTP1?;:OUTP2?')).trim().split(';');
    const on = states.flatMap((v, i) => (v.trim() === '1' ? [`channel ${i + 1}`] : []));
    return { anyOn: on.length > 0, text: on.length ? `${on.join(' and ')} output ON` : 'outputs off' };
  }

  async safeOff(): Promise<void> {
    await this.scpi.writeAll([':OUTP1 OFF', ':OUTP2 OFF']);
    const states = (await this.scpi.query(':OUTP1?;:OUTP2?')).trim();
    if (states !== '0;0') throw new DriverError(`${this.label}: outputs report "${states}" after :OUTP OFF`);
  }
}
