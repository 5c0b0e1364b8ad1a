// Device-to-device variation and yield (metrics.md §3): the same statistics across
// devices, and devices passing / devices tested with the pass criterion stored.

import { type Conditions, type Metric, missing, present } from './metric.ts';
import { mean, sampleStd } from './stats.ts';

export interface DeviceValue {
  device: string;
  value: number | null;
}

/** `d2d.<metric>`: σ/μ (ddof = 1) of one metric across devices, in %. */
export function deviceToDevice(metricId: string, values: DeviceValue[], conditions: Conditions): Metric {
  const base = { id: `d2d.${metricId}`, unit: '%', method: `σ/μ (ddof = 1) of ${metricId} across devices`, conditions };
  const ok = values.filter((v): v is { device: string; value: number } => v.value !== null && Number.isFinite(v.value));
  if (ok.length < 2) return missing(base, `needs the metric on at least 2 devices (have ${ok.length})`);
  const mu = mean(ok.map((v) => v.value));
  if (mu === 0) return missing(base, 'mean is 0');
  return present({ ...base, extra: { devices: ok.length, mean: mu } }, (100 * sampleStd(ok.map((v) => v.value))) / Math.abs(mu));
}

export interface PassCriterion {
  /** Human-readable form stored with the yield, e.g. "dr.ratio:ltp ≥ 2 and states.distinct:ltp ≥ 20". */
  text: string;
  test: (metrics: Metric[]) => boolean;
}

/** Builds a criterion from minimum values of card metrics (keys as on the card). */
export function minimumsCriterion(minimums: Record<string, number>, keyOf: (m: Metric) => string): PassCriterion {
  const entries = Object.entries(minimums);
  return {
    text: entries.map(([k, v]) => `${k} ≥ ${v}`).join(' and '),
    test: (ms) => entries.every(([k, min]) => ms.some((m) => keyOf(m) === k && m.status === 'value' && m.value >= min)),
  };
}

export function deviceYield(devices: { device: string; metrics: Metric[] }[], criterion: PassCriterion, conditions: Conditions): { metric: Metric; pass: Record<string, boolean> } {
  const base = { id: 'yield', unit: '%', method: `devices passing / devices tested; pass criterion: ${criterion.text}`, convention: criterion.text, conditions };
  const pass = Object.fromEntries(devices.map((d) => [d.device, criterion.test(d.metrics)]));
  if (devices.length === 0) return { metric: missing(base, 'no devices tested'), pass };
  const passed = Object.values(pass).filter(Boolean).length;
  return { metric: present({ ...base, extra: { passed, tested: devices.length } }, (100 * passed) / devices.length), pass };
}
