// The safety checks every pulse protocol makes against a device's limits, before any
// instrument command: each voltage within |V| max, each pulse no shorter than allowed,
// the current limit within the station's compliance and the device's |I| max.

import type { Limits } from './station.ts';

export interface SafetyInputs {
  /** Parameter name and value of every voltage the protocol applies, V. */
  voltages: [string, number][];
  /** Parameter name and value of every pulse width, s. */
  widths: [string, number][];
  complianceA: number;
}

export function safetyViolations(limits: Limits, inputs: SafetyInputs): string[] {
  const out: string[] = [];
  for (const [name, v] of inputs.voltages) {
    if (Math.abs(v) > limits.maxAbsVoltageV) out.push(`${name} = ${v} V exceeds the device limit |V| ≤ ${limits.maxAbsVoltageV} V`);
  }
  for (const [name, w] of inputs.widths) {
    if (w < limits.minPulseWidthS) out.push(`${name} = ${w} s is shorter than the device's minimum pulse width ${limits.minPulseWidthS} s`);
  }
  if (inputs.complianceA > limits.complianceA) out.push(`complianceA = ${inputs.complianceA} A exceeds the station's compliance limit ${limits.complianceA} A`);
  if (inputs.complianceA > limits.maxAbsCurrentA) out.push(`complianceA = ${inputs.complianceA} A exceeds the device limit |I| ≤ ${limits.maxAbsCurrentA} A`);
  return out;
}

/** The checks of a protocol with one pulse shape and a read (PPF, STP→LTP, energy). */
export function pulseAndReadSafety(
  p: { amplitudeV: number; readVoltageV: number; widthS: number; complianceA: number },
  limits: Limits,
): string[] {
  return safetyViolations(limits, {
    voltages: [
      ['amplitudeV', p.amplitudeV],
      ['readVoltageV', p.readVoltageV],
    ],
    widths: [['widthS', p.widthS]],
    complianceA: p.complianceA,
  });
}
