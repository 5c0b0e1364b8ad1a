// "imported": runs that hold external data (old CSV files) rather than a measurement
// NeuroProbe played. Their analysis dispatches on what the data is (`as`), so imported
// data gets the same card, comparison and export as measured data.

import { EnduranceAccumulator } from '../analysis/endurance.ts';
import { maxAbs } from '../analysis/stats.ts';
import { writeEnergy } from '../analysis/energy.ts';
import { type LtpLtdCycle, analyseLtpLtd } from '../analysis/ltp-ltd.ts';
import type { Conditions, Metric } from '../analysis/metric.ts';
import { analysePolarization } from '../analysis/polarization.ts';
import { analysePpf } from '../analysis/ppf.ts';
import { analyseRetention } from '../analysis/retention.ts';
import { analyseStdp } from '../analysis/stdp.ts';
import { type IvCycle, type Sweep, analyseIv, formingFromSweep, turningIndex } from '../analysis/iv.ts';
import type { AnalysisResult, ChannelSpec, RunData } from './protocol.ts';

import type { ImportKind } from './import-kinds.ts';
export { IMPORT_KINDS, type ImportKind } from './import-kinds.ts';

export const IMPORTED_PROTOCOL = { id: 'imported', version: '1.0.0' } as const;

export interface ImportedParams {
  as: ImportKind;
  sourceFile: string;
  sha256: string;
  columns: string;
  /** What the LTP/LTD values are: conductance (S), current (A, with readVoltageV) or unitless weight. */
  quantity?: 'conductance' | 'current' | 'weight';
  readVoltageV?: number;
  gBeforeS?: number;
  /** Energy: the terminal the waveform was taken on. */
  terminal?: string;
  /** I-V and forming: the current compliance of the sweeps, A. */
  complianceA?: number;
  /** I-V: the polarity of the SET sweeps (default: that of the first sweep). */
  setPolarity?: 'positive' | 'negative';
  /** Measurement conditions given at import (wavelength, power, temperature, device area …). */
  conditions?: Record<string, number | string>;
  /** Analysis options (`neuroprobe analyze --set`). */
  skipCycles?: number;
  windowCriterion?: number;
  consecutive?: number;
}

export const IMPORT_CHANNELS: Record<ImportKind, ChannelSpec[]> = {
  'ltp-ltd': [
    { name: 'cycle', unit: '1', description: 'cycle number, from 1' },
    { name: 'phase', unit: '1', description: '0 = LTP ramp, 1 = LTD ramp' },
    { name: 'pulse', unit: '1', description: 'pulses applied in this ramp before the read (0 = G_0)' },
    { name: 'value', unit: 'as imported', description: 'the imported read (conductance, current or weight; see params.quantity)' },
  ],
  stdp: [
    { name: 'dt_s', unit: 's', description: 'Δt = t_post − t_pre' },
    { name: 'dw_percent', unit: '%', description: 'ΔW = (G_after − G_before)/G_before' },
  ],
  ppf: [
    { name: 'interval_s', unit: 's', description: 'pulse interval' },
    { name: 'a1', unit: 'as imported', description: 'first response amplitude (peak − baseline)' },
    { name: 'a2', unit: 'as imported', description: 'second response amplitude (peak − baseline)' },
  ],
  retention: [
    { name: 't_s', unit: 's', description: 'time since programming' },
    { name: 'g', unit: 'S', description: 'conductance' },
  ],
  polarization: [
    { name: 'angle_deg', unit: 'deg', description: 'polarizer angle' },
    { name: 'light_A', unit: 'A', description: 'current under illumination' },
    { name: 'dark_A', unit: 'A', description: 'dark current' },
  ],
  endurance: [
    { name: 'g_hrs', unit: 'S', description: 'conductance of the high-resistance state, one read per cycle' },
    { name: 'g_lrs', unit: 'S', description: 'conductance of the low-resistance state, one read per cycle' },
  ],
  energy: [
    { name: 't_s', unit: 's', description: 'time' },
    { name: 'v_V', unit: 'V', description: 'voltage on the programming terminal' },
    { name: 'i_A', unit: 'A', description: 'current into the programming terminal' },
  ],
  iv: [
    { name: 'v_V', unit: 'V', description: 'applied voltage' },
    { name: 'i_A', unit: 'A', description: 'current' },
    { name: 'sweep', unit: '1', description: 'sweep number (one per dual sweep; from the workbook sheet, or found where V returns to 0)' },
  ],
  forming: [
    { name: 'v_V', unit: 'V', description: 'applied voltage' },
    { name: 'i_A', unit: 'A', description: 'current' },
    { name: 'sweep', unit: '1', description: 'sweep number' },
  ],
};

/** Sweeps of an I-V record: by the sweep channel when present, else cut where |V| comes back to its smallest value. */
export function importedSweeps(data: RunData): Sweep[] {
  const v = arr(data, 'v_V');
  const i = arr(data, 'i_A');
  const s = arr(data, 'sweep');
  const out: Sweep[] = [];
  if (s.length === v.length && s.length > 0) {
    let cur: { voltageV: number[]; currentA: number[] } | null = null;
    for (let k = 0; k < v.length; k++) {
      if (k === 0 || s[k] !== s[k - 1]) out.push((cur = { voltageV: [], currentA: [] }));
      cur!.voltageV.push(v[k]);
      cur!.currentA.push(i[k]);
    }
    return out;
  }
  const floor = Math.min(...v.map(Math.abs)) + 1e-12;
  const span = Math.max(...v.map(Math.abs));
  let cur = { voltageV: [] as number[], currentA: [] as number[] };
  let left = false;
  for (let k = 0; k < v.length; k++) {
    cur.voltageV.push(v[k]);
    cur.currentA.push(i[k]);
    if (Math.abs(v[k]) > 0.5 * span) left = true;
    if (left && Math.abs(v[k]) <= floor + 0.02 * span) {
      out.push(cur);
      cur = { voltageV: [], currentA: [] };
      left = false;
    }
  }
  if (cur.voltageV.length > 1) out.push(cur);
  return out;
}

/** SET and RESET sweeps by polarity, paired in order into cycles. */
function ivCyclesOf(sweeps: Sweep[], setPolarity: 'positive' | 'negative' | undefined): IvCycle[] {
  const sign = (s: Sweep) => Math.sign(s.voltageV[turningIndex(s.voltageV)] ?? 0);
  const setSign = setPolarity === 'positive' ? 1 : setPolarity === 'negative' ? -1 : sweeps.length ? sign(sweeps[0]) : 1;
  const sets = sweeps.filter((s) => sign(s) === setSign);
  const resets = sweeps.filter((s) => sign(s) === -setSign);
  return Array.from({ length: Math.max(sets.length, resets.length) }, (_, k) => ({ ...(sets[k] ? { set: sets[k] } : {}), ...(resets[k] ? { reset: resets[k] } : {}) }));
}

function arr(data: RunData, name: string): number[] {
  const c = data.channels[name];
  return c ? Array.from(c) : [];
}

/** Complete LTP/LTD cycles of an imported record, in conductance (or weight) units. */
export function importedCycles(data: RunData, p: ImportedParams): { cycles: LtpLtdCycle[]; unit: string } {
  const cycle = arr(data, 'cycle');
  const phase = arr(data, 'phase');
  const pulse = arr(data, 'pulse');
  const value = arr(data, 'value');
  const scale = p.quantity === 'current' ? 1 / (p.readVoltageV ?? NaN) : 1;
  const byCycle = new Map<number, { ltp: number[]; ltd: number[] }>();
  for (let i = 0; i < value.length; i++) {
    let e = byCycle.get(cycle[i]);
    if (!e) byCycle.set(cycle[i], (e = { ltp: [], ltd: [] }));
    const ramp = phase[i] === 0 ? e.ltp : e.ltd;
    // Reads missing from a ramp stay NaN (counted by the analysis), never holes.
    while (ramp.length < pulse[i]) ramp.push(NaN);
    ramp[pulse[i]] = value[i] * scale;
  }
  const cycles = [...byCycle.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([c, e]) => ({ ...e, cycle: c }))
    .filter((e) => e.ltp.length > 0 || e.ltd.length > 0)
    .slice(p.skipCycles ?? 0);
  return { cycles, unit: p.quantity === 'weight' ? 'a.u.' : 'S' };
}

/**
 * The programming pulse of a sampled waveform: the span where |V| exceeds half its peak,
 * widened outwards until V is back within 5 % (of the pulse height) of the level before
 * the pulse, so the edges are inside the integral. The baseline is the time before that.
 */
export function pulseWindow(t: number[], v: number[]): { pulse: [number, number]; baseline?: [number, number] } | null {
  const peak = maxAbs(v.filter(Number.isFinite));
  if (!(peak > 0) || t.length < 3) return null;
  const above = v.flatMap((x, i) => (Math.abs(x) > peak / 2 ? [i] : []));
  if (above.length === 0) return null;
  let first = above[0];
  let last = above[above.length - 1];
  const before = v.slice(0, first).filter(Number.isFinite);
  const base = before.length ? before.reduce((a, b) => a + b, 0) / before.length : 0;
  const settled = (x: number) => Math.abs(x - base) <= 0.05 * Math.abs(peak - Math.abs(base));
  while (first > 0 && !settled(v[first - 1])) first--;
  while (last < v.length - 1 && !settled(v[last + 1])) last++;
  const start = t[Math.max(0, first - 1)];
  const end = t[Math.min(t.length - 1, last + 1)];
  return { pulse: [start, end], ...(first > 2 ? { baseline: [t[0], t[first - 2]] as [number, number] } : {}) };
}

export function analyseImported(data: RunData, p: ImportedParams): AnalysisResult {
  const conditions: Conditions = { source_file: p.sourceFile, source_sha256: p.sha256, imported_as: p.as, ...(p.conditions ?? {}) };
  let metrics: Metric[];
  switch (p.as) {
    case 'ltp-ltd': {
      const { cycles, unit } = importedCycles(data, p);
      const lengths = cycles.filter((c) => c.ltp.length > 0).map((c) => c.ltp.length - 1);
      Object.assign(conditions, {
        quantity: p.quantity ?? 'weight',
        read_voltage_V: p.readVoltageV ?? null,
        cycles: cycles.length,
        ltp_ramps: lengths.length,
        ltd_ramps: cycles.filter((c) => c.ltd.length > 0).length,
        pulses_per_train: lengths.length === 0 ? null : lengths.every((l) => l === lengths[0]) ? lengths[0] : 'varies',
      });
      metrics = analyseLtpLtd({ cycles, unit, conditions });
      break;
    }
    case 'stdp':
      metrics = analyseStdp({ dtS: arr(data, 'dt_s'), dwPercent: arr(data, 'dw_percent'), conditions });
      break;
    case 'ppf': {
      const a1 = arr(data, 'a1');
      const a2 = arr(data, 'a2');
      metrics = analysePpf(arr(data, 'interval_s').map((intervalS, i) => ({ intervalS, a1: a1[i], a2: a2[i] })), conditions);
      break;
    }
    case 'retention':
      metrics = analyseRetention({ tS: arr(data, 't_s'), g: arr(data, 'g'), gBefore: p.gBeforeS ?? NaN, unit: 'S', conditions });
      break;
    case 'polarization':
      metrics = analysePolarization({ angleDeg: arr(data, 'angle_deg'), lightA: arr(data, 'light_A'), darkA: arr(data, 'dark_A'), conditions });
      break;
    case 'endurance': {
      const acc = new EnduranceAccumulator({ windowCriterion: p.windowCriterion, consecutive: p.consecutive, keepWindow: false });
      acc.pushMany(arr(data, 'g_hrs'), arr(data, 'g_lrs'));
      metrics = acc.metrics(conditions);
      break;
    }
    case 'energy': {
      const t = arr(data, 't_s');
      const v = arr(data, 'v_V');
      const window = pulseWindow(t, v);
      Object.assign(conditions, { terminal: p.terminal ?? 'programming terminal' });
      metrics = window
        ? [writeEnergy({ tS: t, voltageV: v, currentA: arr(data, 'i_A'), pulse: window.pulse, baseline: window.baseline, terminal: p.terminal ?? 'programming terminal', conditions })]
        : [{ id: 'energy.write', unit: 'J', method: 'waveform integration', conditions, status: 'missing', reason: 'no pulse found in the voltage waveform (no sample above half the peak |V|)' }];
      break;
    }
    case 'iv': {
      const sweeps = importedSweeps(data);
      const complianceA = p.complianceA ?? Infinity;
      Object.assign(conditions, { sweeps: sweeps.length, ...(p.complianceA !== undefined ? {} : { compliance: 'not given (--compliance): V_set by the steepest rise only' }) });
      metrics = analyseIv(ivCyclesOf(sweeps, p.setPolarity), { complianceA, readVoltageV: Math.abs(p.readVoltageV ?? 0.1), conditions }).metrics;
      break;
    }
    case 'forming': {
      const [first] = importedSweeps(data);
      metrics = first ? formingFromSweep(first, p.complianceA ?? Infinity, conditions) : [{ id: 'forming.v_form', unit: 'V', method: 'compliance', conditions, status: 'missing', reason: 'no sweep in the record' }];
      break;
    }
  }
  return { metrics, conditions };
}
