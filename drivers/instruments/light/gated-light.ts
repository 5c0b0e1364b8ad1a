// A light source gated by a pulse-generator channel (TTL into a laser driver's
// modulation input): the generator times each light pulse; the station's calibration
// says what power reaches the sample while the gate is high. The calibration is the
// lab's measurement, stored with every optical run; nothing here can check it.

import { DriverError } from '../errors.ts';
import type { PulseGenerator } from '../roles.ts';

export interface LightCalibration {
  channel: number;
  gateLevelV: number;
  wavelengthNm: number;
  /** Power at the sample while the gate is high, mW. */
  powerMw: number;
  spotAreaM2?: number;
}

export interface LightPulses {
  widthS: number;
  periodS: number;
  /** Light pulses per trigger from the SMU's digital line. */
  count: number;
}

export class GatedLightSource {
  readonly role = 'light-source' as const;

  constructor(
    readonly generator: PulseGenerator,
    readonly calibration: LightCalibration,
  ) {}

  get label(): string {
    return `light source gated by ${this.generator.label} channel ${this.calibration.channel} (${this.calibration.wavelengthNm} nm, ${this.calibration.powerMw} mW at the sample)`;
  }

  validatePulses(p: LightPulses): void {
    if (!(p.widthS > 0)) throw new DriverError(`${this.label}: light pulse width ${p.widthS} s must be positive`);
    this.generator.validatePulses({ channel: this.calibration.channel, amplitudeV: this.calibration.gateLevelV, widthS: p.widthS, periodS: p.periodS, count: p.count, trigger: 'external' });
  }

  /** Arms the gate: each trigger edge from the SMU plays `count` light pulses. */
  arm(p: LightPulses): Promise<void> {
    this.validatePulses(p);
    return this.generator.armPulses({ channel: this.calibration.channel, amplitudeV: this.calibration.gateLevelV, widthS: p.widthS, periodS: p.periodS, count: p.count, trigger: 'external' });
  }
}
