// Energy per spike (metrics.md §5) — a vector, never one number.
// energy.write: ∫ V·(I − I_base) dt over the programming pulse (trapezoid rule on the
//   sampled waveform), I_base = the steady read-bias current before the pulse.
// energy.read: ∫ V_read·I dt over the read window.
// energy.optical: P_opt·t_pulse (and per area when areas are known).
// energy.estimate: V_pulse·I_peak·t_pulse, flagged as an upper-bound estimate.

import { type Conditions, type Metric, missing, present } from './metric.ts';

/** ∫ y dt by the trapezoid rule over [from, to], interpolating at the window edges. */
export function trapezoid(t: readonly number[], y: readonly number[], from = -Infinity, to = Infinity): number {
  let s = 0;
  for (let i = 1; i < t.length; i++) {
    const a = Math.max(t[i - 1], from);
    const b = Math.min(t[i], to);
    if (!(b > a)) continue;
    const dt = t[i] - t[i - 1];
    const at = (x: number) => y[i - 1] + ((y[i] - y[i - 1]) * (x - t[i - 1])) / dt;
    s += ((at(a) + at(b)) / 2) * (b - a);
  }
  return s;
}

export interface WaveformEnergyInput {
  tS: number[];
  voltageV: number[];
  currentA: number[];
  /** Pulse window [start, end], s. */
  pulse: [number, number];
  /** Window of steady bias before the pulse, for the baseline current. */
  baseline?: [number, number];
  terminal: string;
  conditions: Conditions;
}

function checkWaveform(t: readonly number[], v: readonly number[], i: readonly number[]): string | null {
  if (t.length < 2) return `too few samples (${t.length})`;
  if (v.length !== t.length || i.length !== t.length) return `time, voltage and current have different lengths (${t.length}, ${v.length}, ${i.length})`;
  for (let k = 0; k < t.length; k++) {
    if (!Number.isFinite(t[k]) || !Number.isFinite(v[k]) || !Number.isFinite(i[k])) return `sample ${k} is not finite`;
    if (k > 0 && !(t[k] > t[k - 1])) return `time is not increasing at sample ${k}`;
  }
  return null;
}

export function writeEnergy(input: WaveformEnergyInput): Metric {
  const base = {
    id: 'energy.write',
    unit: 'J',
    method: '∫ V·(I − I_base) dt over the pulse, trapezoid rule; I_base = mean current in the baseline window',
    conditions: { ...input.conditions, terminal: input.terminal },
  };
  const bad = checkWaveform(input.tS, input.voltageV, input.currentA);
  if (bad) return missing(base, bad);
  let iBase = 0;
  if (input.baseline) {
    const idx = input.tS.flatMap((t, k) => (t >= input.baseline![0] && t <= input.baseline![1] ? [k] : []));
    if (idx.length === 0) return missing(base, `no samples in the baseline window ${input.baseline[0]}..${input.baseline[1]} s`);
    iBase = idx.reduce((s, k) => s + input.currentA[k], 0) / idx.length;
  }
  const [from, to] = input.pulse;
  if (!(to > from) || from < input.tS[0] || to > input.tS[input.tS.length - 1]) return missing(base, `pulse window ${from}..${to} s is not inside the sampled waveform`);
  const p = input.tS.map((_, k) => input.voltageV[k] * (input.currentA[k] - iBase));
  let peakV = 0;
  input.tS.forEach((t, k) => {
    if (t >= from && t <= to && Math.abs(input.voltageV[k]) > Math.abs(peakV)) peakV = input.voltageV[k];
  });
  return present({ ...base, extra: { baseline_current_A: iBase, pulse_width_s: to - from, pulse_amplitude_V: peakV } }, trapezoid(input.tS, p, from, to));
}

export function readEnergy(input: { tS: number[]; currentA: number[]; readVoltageV: number; window: [number, number]; conditions: Conditions }): Metric {
  const base = { id: 'energy.read', unit: 'J', method: '∫ V_read·I dt over the read window, trapezoid rule', conditions: { ...input.conditions, read_voltage_V: input.readVoltageV } };
  const bad = checkWaveform(input.tS, input.tS, input.currentA);
  if (bad) return missing(base, bad);
  return present(base, input.readVoltageV * trapezoid(input.tS, input.currentA, input.window[0], input.window[1]));
}

export function opticalEnergy(input: { powerW: number; pulseS: number; spotAreaM2?: number; deviceAreaM2?: number; conditions: Conditions }): Metric {
  const base = { id: 'energy.optical', unit: 'J', method: 'P_opt·t_pulse (delivered to the device area when spot and device areas are known)', conditions: { ...input.conditions, optical_power_W: input.powerW, pulse_width_s: input.pulseS } };
  if (!(input.powerW >= 0) || !(input.pulseS > 0)) return missing(base, `needs a non-negative optical power and a positive pulse width (got ${input.powerW} W, ${input.pulseS} s)`);
  const total = input.powerW * input.pulseS;
  if (input.spotAreaM2 && input.deviceAreaM2) {
    const fraction = Math.min(1, input.deviceAreaM2 / input.spotAreaM2);
    return present({ ...base, convention: 'per device area', extra: { total_J: total, area_fraction: fraction } }, total * fraction);
  }
  return present({ ...base, convention: 'total' }, total);
}

export function estimatedEnergy(input: { pulseV: number; peakCurrentA: number; pulseS: number; conditions: Conditions }): Metric {
  const base = { id: 'energy.estimate', unit: 'J', method: 'V_pulse·I_peak·t_pulse — an upper-bound estimate, used only when no waveform exists', convention: 'estimate', conditions: input.conditions };
  const e = Math.abs(input.pulseV * input.peakCurrentA) * input.pulseS;
  return Number.isFinite(e) && input.pulseS > 0 ? present(base, e) : missing(base, 'needs finite pulse voltage, peak current and a positive width');
}
