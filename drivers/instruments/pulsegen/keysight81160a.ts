// Keysight 81160A (and 81150A) driver (PulseGenerator role), SCPI with the channel suffix
// on the root keyword (instruments.md §2.3, after PyMeasure's driver): `:FUNC<ch> PULS`,
// `:PULS:PER<ch>`, `:PULS:WIDT<ch>`, `:VOLT<ch>:HIGH|LOW`, `:OUTP<ch>:POL`, burst with
// `:BURS<ch>:NCYC`, armed by the external input (`:ARM:SOUR<ch> EXT1`).
// Unconfirmed here: the arm keyword for triggered bursts (`:ARM:SOUR`), width ≥ 1.5 ns,
// period 3.03 ns–1e6 s, ±10 V into high-Z.

import { DriverError } from '../errors.ts';
import type { PulseGenCapabilities, PulseGenerator, PulseSetup } from '../roles.ts';
import { ScpiDriver } from '../scpi-driver.ts';
import { validatePulseSetup } from './validate-pulses.ts';
import { scpiNumber } from '../scpi-session.ts';

export const K81160A_CAPABILITIES: PulseGenCapabilities = {
  channels: 2,
  maxAbsLevelV: 10,
  minAmplitudeV: 1e-3,
  widthRangeS: [1.5e-9, 999e3],
  periodRangeS: [3.03e-9, 1e6],
  maxBurstCount: 1_000_000,
};

export class Keysight81160A extends ScpiDriver implements PulseGenerator {
  readonly role = 'pulse-generator' as const;
  readonly model = 'Keysight 81160A';
  readonly capabilities = K81160A_CAPABILITIES;

  identify(): Promise<string> {
    return this.checkIdn(/,\s*811[56]0A\s*,/, 'a Keysight 81150A/81160A');
  }

  validatePulses(s: PulseSetup): void {
    validatePulseSetup(this.label, this.capabilities, s);
  }

  async armPulses(s: PulseSetup): Promise<void> {
    this.validatePulses(s);
    const ch = s.channel;
    const [high, low] = s.amplitudeV > 0 ? [s.amplitudeV, 0] : [0, s.amplitudeV];
    await this.scpi.writeAll([
      `:OUTP${ch} OFF`,
      `:FUNC${ch} PULS`,
      `:OUTP${ch}:LOAD INF`,
      `:PULS:PER${ch} ${scpiNumber(s.periodS)}`,
      `:PULS:WIDT${ch} ${scpiNumber(s.widthS)}`,
      `:VOLT${ch}:HIGH ${scpiNumber(high)}`,
      `:VOLT${ch}:LOW ${scpiNumber(low)}`,
      `:OUTP${ch}:POL ${s.amplitudeV > 0 ? 'NORM' : 'INV'}`,
      `:BURS${ch}:MODE TRIG`,
      `:BURS${ch}:NCYC ${s.count}`,
      `:BURS${ch}:STAT ON`,
      `:ARM:SOUR${ch} ${s.trigger === 'external' ? 'EXT1' : 'MAN'}`,
      `:OUTP${ch} ON`,
    ]);
    await this.scpi.checkErrors('while configuring pulses');
  }

  async trigger(): Promise<void> {
    await this.scpi.write('*TRG');
    await this.scpi.query('*OPC?');
  }

  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    const states = [(await this.scpi.query(':OUTP1?')).trim(), (await this.scpi.query(':OUTP2?')).trim()];
    const active = states.flatMap((v, i) => (v === '1' ? [`channel ${i + 1}`] : []));
    return { anyOn: active.length > 0, text: active.length ? `${active.join(' and ')} output ON` : 'outputs off' };
  }

  async safeOff(): Promise<void> {
    await this.scpi.writeAll([':OUTP1 OFF', ':OUTP2 OFF']);
    const states = [(await this.scpi.query(':OUTP1?')).trim(), (await this.scpi.query(':OUTP2?')).trim()];
    if (states.some((v) => v !== '0')) throw new DriverError(`${this.label}: outputs report "${states.join(', ')}" after :OUTP OFF`);
  }
}
