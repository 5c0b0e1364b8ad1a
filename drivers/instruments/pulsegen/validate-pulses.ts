// The checks every pulse generator makes against its declared capabilities before
// anything is sent (each family declares its own ranges).

import { DriverError, checkRange } from '../errors.ts';
import type { PulseGenCapabilities, PulseSetup } from '../roles.ts';

export function validatePulseSetup(label: string, c: PulseGenCapabilities, s: PulseSetup): void {
  if (!Number.isInteger(s.channel) || s.channel < 1 || s.channel > c.channels) throw new DriverError(`${label}: channel ${s.channel} does not exist (1..${c.channels})`);
  checkRange(label, 'pulse amplitude', s.amplitudeV, -c.maxAbsLevelV, c.maxAbsLevelV, 'V');
  if (Math.abs(s.amplitudeV) < c.minAmplitudeV) throw new DriverError(`${label}: pulse amplitude ${s.amplitudeV} V is below the smallest it plays (${c.minAmplitudeV} V)`);
  checkRange(label, 'pulse width', s.widthS, c.widthRangeS[0], c.widthRangeS[1], 's');
  checkRange(label, 'pulse period', s.periodS, c.periodRangeS[0], c.periodRangeS[1], 's');
  if (s.periodS <= s.widthS) throw new DriverError(`${label}: pulse period ${s.periodS} s must exceed the width ${s.widthS} s`);
  checkRange(label, 'pulses per trigger', s.count, 1, c.maxBurstCount, 'pulses');
}
