// Device-model export (metrics.md §11), as JSON a user pastes into a simulator:
// - NeuroSim-style parameters (NL labels, pulses per ramp, conductance range, C2C as
//   c2c.step_range);
// - aihwkit SoftBoundsPmaxDevice from the LTP fit: p_max = n, alpha = 1/(A·n) per pulse,
//   so w(p) = B(1 − e^(−αp)) + range_min is exactly the fitted curve y_A(p/n);
// - aihwkit PiecewiseStepDevice from the binned mean step vs conductance.
// Conductance maps linearly to weight: G_start (fitted LTP start) → range_min = −1,
// G_start + ΔG → range_max = +1; the mapping is written into the export.

import { cardKey } from './card.ts';
import type { LtpLtdCycle } from './ltp-ltd.ts';
import type { Metric, PresentMetric } from './metric.ts';
import { mean } from './stats.ts';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

function need(metrics: Metric[], key: string): PresentMetric {
  const m = metrics.find((x) => cardKey(x) === key);
  if (!m) throw new ExportError(`the card has no ${key}; model export needs an LTP/LTD analysis`);
  if (m.status !== 'value') throw new ExportError(`${key} is missing (${m.reason}); cannot export a device model`);
  return m;
}

export interface WeightMapping {
  g_at_range_min_S: number;
  g_at_range_max_S: number;
  range_min: number;
  range_max: number;
  note: string;
}

function mapping(metrics: Metric[]): WeightMapping {
  const ltp = need(metrics, 'nl.lsq3:ltp');
  const g0 = ltp.extra?.g_start;
  const dg = ltp.extra?.delta_g;
  if (g0 === undefined || dg === undefined || !(dg > 0)) throw new ExportError('the LTP fit has no positive ΔG; cannot map conductance to weight');
  return { g_at_range_min_S: g0, g_at_range_max_S: g0 + dg, range_min: -1, range_max: 1, note: 'w = range_min + (range_max − range_min)·(G − g_at_range_min)/(g_at_range_max − g_at_range_min)' };
}

export function neurosimParameters(metrics: Metric[]): Record<string, unknown> {
  const map = mapping(metrics);
  const c2c = metrics.find((m) => cardKey(m) === 'c2c.step_range:ltp');
  const cond = need(metrics, 'nl.lsq3:ltp').conditions;
  return {
    format: 'neuroprobe.neurosim-device',
    formatVersion: 1,
    NL_LTP: need(metrics, 'nl.lsq3:ltp').value,
    NL_LTD: need(metrics, 'nl.lsq3:ltd').value,
    maxNumLevelLTP: need(metrics, 'states.pulses').value,
    maxNumLevelLTD: need(metrics, 'states.pulses').value,
    maxConductance: map.g_at_range_max_S,
    minConductance: map.g_at_range_min_S,
    onOffRatio: map.g_at_range_max_S / map.g_at_range_min_S,
    sigmaCtoC: c2c?.status === 'value' ? c2c.value / 100 : null,
    sigmaDtoD: null,
    readVoltage: cond.read_voltage_V ?? null,
    writeVoltageLTP: cond.potentiation_amplitude_V ?? null,
    writeVoltageLTD: cond.depression_amplitude_V ?? null,
    writePulseWidthLTP: cond.potentiation_width_s ?? null,
    writePulseWidthLTD: cond.depression_width_s ?? null,
    conventions: 'NL labels from nl.lsq3 (signed, LTD mirrored); sigmaCtoC = c2c.step_range (fraction of the range); conductances in S',
  };
}

export interface SoftBoundsPmax {
  device: 'SoftBoundsPmaxDevice';
  p_max: number;
  alpha: number;
  range_min: number;
  range_max: number;
  mapping: WeightMapping;
  note: string;
}

export function aihwkitSoftBoundsPmax(metrics: Metric[]): SoftBoundsPmax {
  const ltp = need(metrics, 'nl.lsq3:ltp');
  // aihwkit's p_max is a whole number of pulses (states.pulses is a median when ramps differ).
  const n = Math.max(1, Math.round(need(metrics, 'states.pulses').value));
  const a = ltp.extra?.A;
  if (a === undefined || !(a > 0) || !Number.isFinite(a)) {
    throw new ExportError(`the LTP curve is not saturating (A = ${a}); a soft-bounds device needs A > 0 — use the piecewise-step export`);
  }
  const ltd = metrics.find((m) => cardKey(m) === 'nl.lsq3:ltd');
  return {
    device: 'SoftBoundsPmaxDevice',
    p_max: n,
    alpha: 1 / (a * n),
    range_min: -1,
    range_max: 1,
    mapping: mapping(metrics),
    note: `fitted to LTP (A = ${a.toPrecision(6)}); soft bounds share one alpha for both directions${ltd?.status === 'value' ? `, the LTD fit gave A = ${ltd.extra?.A?.toPrecision(6)} (label ${ltd.value.toFixed(3)})` : ''}`,
  };
}

/** The weight after p up-pulses from range_min, as aihwkit's SoftBoundsPmaxDevice defines it. */
export function softBoundsPmaxResponse(cfg: Pick<SoftBoundsPmax, 'p_max' | 'alpha' | 'range_min' | 'range_max'>, pulses: number): number {
  const b = (cfg.range_max - cfg.range_min) / (1 - Math.exp(-cfg.alpha * cfg.p_max));
  return b * (1 - Math.exp(-cfg.alpha * pulses)) + cfg.range_min;
}

export interface PiecewiseStep {
  device: 'PiecewiseStepDevice';
  w_min: number;
  w_max: number;
  dw_min: number;
  dw_min_std: number;
  piecewise_up: number[];
  piecewise_down: number[];
  mapping: WeightMapping;
  note: string;
}

/**
 * Mean signed step per pulse in its own direction (Δw for up, −Δw for down), binned on
 * `nodes` equally spaced weight nodes from w_min to w_max, relative to dw_min (the mean
 * over all bins); dw_min_std is the step scatter relative to dw_min, as aihwkit defines it.
 */
export function aihwkitPiecewiseStep(metrics: Metric[], cycles: LtpLtdCycle[], nodes = 11): PiecewiseStep {
  const map = mapping(metrics);
  const toW = (g: number) => map.range_min + ((map.range_max - map.range_min) * (g - map.g_at_range_min_S)) / (map.g_at_range_max_S - map.g_at_range_min_S);
  const steps: number[] = [];
  const collect = (curves: number[][], sign: 1 | -1) => {
    const bins: number[][] = Array.from({ length: nodes }, () => []);
    for (const c of curves) {
      for (let k = 1; k < c.length; k++) {
        const w = toW(c[k - 1]);
        const step = sign * (toW(c[k]) - w);
        const pos = ((Math.min(map.range_max, Math.max(map.range_min, w)) - map.range_min) / (map.range_max - map.range_min)) * (nodes - 1);
        if (Number.isFinite(step) && Number.isFinite(pos)) {
          bins[Math.round(pos)].push(step);
          steps.push(step);
        }
      }
    }
    return bins.map((b) => (b.length ? mean(b) : NaN));
  };
  if (cycles.length === 0) throw new ExportError('no complete LTP/LTD cycle to take steps from');
  const up = collect(cycles.map((c) => c.ltp), 1);
  // Depression steps, binned at the weight each step starts from.
  const down = collect(cycles.map((c) => c.ltd), -1);
  const all = [...up, ...down].filter(Number.isFinite);
  const dwMin = mean(all);
  if (!(dwMin > 0)) throw new ExportError('the mean step is not in the programming direction; no usable conductance steps');
  // Empty bins take the nearest filled neighbour's value; a bin whose mean step goes the
  // wrong way (noise) is floored at 1 % of dw_min, since aihwkit steps must be positive.
  const fill = (v: number[]) =>
    v.map((x, i) => {
      let val = x;
      for (let d = 1; !Number.isFinite(val) && d < v.length; d++) {
        for (const j of [i - d, i + d]) if (j >= 0 && j < v.length && Number.isFinite(v[j])) val = v[j];
      }
      return Number.isFinite(val) ? Math.max(val / dwMin, 0.01) : 1;
    });
  const spread = Math.sqrt(steps.reduce((s2, x) => s2 + (x - dwMin) ** 2, 0) / Math.max(1, steps.length - 1));
  return {
    device: 'PiecewiseStepDevice',
    w_min: map.range_min,
    w_max: map.range_max,
    dw_min: dwMin,
    dw_min_std: spread / dwMin,
    piecewise_up: fill(up),
    piecewise_down: fill(down),
    mapping: map,
    note: `mean step per pulse in its direction in ${nodes} equally spaced weight bins over all cycles, relative to dw_min; dw_min_std = step scatter / dw_min`,
  };
}

/** Python float/list literals (repr-exact for doubles). */
function py(v: number | number[]): string {
  const one = (x: number) => (Number.isFinite(x) ? (Number.isInteger(x) ? `${x}.0` : String(x)) : "float('nan')");
  return Array.isArray(v) ? `[${v.map(one).join(', ')}]` : one(v);
}

/**
 * A runnable Python snippet that builds the aihwkit device configurations of an export
 * (SoftBoundsPmaxDevice when available, PiecewiseStepDevice always), as SingleRPUConfig.
 */
export function aihwkitPythonSnippet(source: string, soft: SoftBoundsPmax | { unavailable: string }, piecewise: PiecewiseStep): string {
  const lines = [
    `# aihwkit device configurations fitted by NeuroProbe from ${source.replace(/[\r\n]/g, ' ')}.`,
    '# Weights map linearly to conductance:',
    `#   w = ${py(piecewise.mapping.range_min)} at G = ${piecewise.mapping.g_at_range_min_S} S, w = ${py(piecewise.mapping.range_max)} at G = ${piecewise.mapping.g_at_range_max_S} S`,
    'try:',
    '    from aihwkit.simulator.configs import SingleRPUConfig, SoftBoundsPmaxDevice, PiecewiseStepDevice',
    'except ImportError:  # aihwkit versions that keep the devices in their own module',
    '    from aihwkit.simulator.configs import SingleRPUConfig',
    '    from aihwkit.simulator.configs.devices import SoftBoundsPmaxDevice, PiecewiseStepDevice',
    '',
  ];
  if ('unavailable' in soft) lines.push(`# No SoftBoundsPmaxDevice: ${soft.unavailable.replace(/[\r\n]/g, ' ')}`, 'soft_bounds = None');
  else {
    lines.push(
      `# ${soft.note.replace(/[\r\n]/g, ' ')}`,
      `soft_bounds = SoftBoundsPmaxDevice(p_max=${soft.p_max}, alpha=${py(soft.alpha)}, range_min=${py(soft.range_min)}, range_max=${py(soft.range_max)})`,
    );
  }
  lines.push(
    '',
    `# ${piecewise.note.replace(/[\r\n]/g, ' ')}`,
    'piecewise = PiecewiseStepDevice(',
    `    w_min=${py(piecewise.w_min)}, w_max=${py(piecewise.w_max)}, dw_min=${py(piecewise.dw_min)}, dw_min_std=${py(piecewise.dw_min_std)},`,
    `    piecewise_up=${py(piecewise.piecewise_up)},`,
    `    piecewise_down=${py(piecewise.piecewise_down)},`,
    ')',
    '',
    'rpu_config = SingleRPUConfig(device=soft_bounds if soft_bounds is not None else piecewise)',
    'rpu_config_piecewise = SingleRPUConfig(device=piecewise)',
    '',
  );
  return lines.join('\n');
}
