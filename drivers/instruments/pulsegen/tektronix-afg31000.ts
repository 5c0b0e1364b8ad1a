// Tektronix AFG31000 driver (PulseGenerator role), SCPI (instruments.md §2.2): pulse
// shape, period and width, high/low levels, output impedance, polarity, triggered burst,
// external trigger. The trigger source is set for the instrument (TRIGger:SEQuence).
// Limits as commonly quoted for the AFG31252 (unconfirmed here: width ≥ 8 ns, period
// 20 ns–1000 s, ±10 V into high-Z).

import { DriverError } from '../errors.ts';
import type { PulseGenCapabilities, PulseGenerator, PulseSetup } from '../roles.ts';
import { ScpiDriver } from '../scpi-driver.ts';
import { validatePulseSetup } from './validate-pulses.ts';
import { scpiNumber } from '../scpi-session.ts';

export const AFG31000_CAPABILITIES: PulseGenCapabilities = {
  channels: 2,
  maxAbsLevelV: 10,
  minAmplitudeV: 1e-3,
  widthRangeS: [8e-9, 999],
  periodRangeS: [20e-9, 1000],
  maxBurstCount: 1_000_000,
};

export class TektronixAfg31000 extends ScpiDriver implements PulseGenerator {
  readonly role = 'pulse-generator' as const;
  readonly model = 'Tektronix AFG31000';
  readonly capabilities = AFG31000_CAPABILITIES;

  identify(): Promise<string> {
    return this.checkIdn(/^TEKTRONIX,\s*AFG31\d{3}/i, 'a Tektronix AFG31000-series generator');
  }

  validatePulses(s: PulseSetup): void {
    validatePulseSetup(this.label, this.capabilities, s);
  }

  async armPulses(s: PulseSetup): Promise<void> {
    this.validatePulses(s);
    const ch = s.channel;
    const src = `SOURce${ch}`;
    const [high, low] = s.amplitudeV > 0 ? [s.amplitudeV, 0] : [0, s.amplitudeV];
    // Period before width, so the width always fits; low before high when raising.
    await this.scpi.writeAll([
      `OUTPut${ch}:STATe OFF`,
      `${src}:FUNCtion:SHAPe PULSe`,
      `OUTPut${ch}:IMPedance INFinity`,
      `${src}:PULSe:PERiod ${scpiNumber(s.periodS)}`,
      `${src}:PULSe:WIDTh ${scpiNumber(s.widthS)}`,
      `${src}:VOLTage:LEVel:IMMediate:HIGH ${scpiNumber(high)}`,
      `${src}:VOLTage:LEVel:IMMediate:LOW ${scpiNumber(low)}`,
      `OUTPut${ch}:POLarity ${s.amplitudeV > 0 ? 'NORMal' : 'INVerted'}`,
      `${src}:BURSt:MODE TRIGgered`,
      `${src}:BURSt:NCYCles ${s.count}`,
      `${src}:BURSt:STATe ON`,
      `TRIGger:SEQuence:SOURce ${s.trigger === 'external' ? 'EXTernal' : 'BUS'}`,
      `OUTPut${ch}:STATe ON`,
    ]);
    await this.scpi.checkErrors('while configuring pulses');
  }

  async trigger(): Promise<void> {
    await this.scpi.write('*TRG');
    await this.scpi.query('*OPC?');
  }

  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    const states = [(await this.scpi.query('OUTPut1:STATe?')).trim(), (await this.scpi.query('OUTPut2:STATe?')).trim()];
    const active = states.flatMap((v, i) => (v === '1' || /^ON$/i.test(v) ? [`channel ${i + 1}`] : []));
    return { anyOn: active.length > 0, text: active.length ? `${active.join(' and ')} output ON` : 'outputs off' };
  }

  async safeOff(): Promise<void> {
    await this.scpi.writeAll(['OUTPut1:STATe OFF', 'OUTPut2:STATe OFF']);
    const states = [(await this.scpi.query('OUTPut1:STATe?')).trim(), (await this.scpi.query('OUTPut2:STATe?')).trim()];
    if (states.some((v) => v !== '0' && !/^OFF$/i.test(v))) throw new DriverError(`${this.label}: outputs report "${states.join(', ')}" after OUTPut:STATe OFF`);
  }
}
