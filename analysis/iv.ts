// I-V switching and forming (metrics.md §12). A sweep is split at its first maximum
// |V|; switching is searched on the outgoing half only. SET: the compliance rule is
// primary (first |I| ≥ 0.99 × compliance), the steepest rise of log|I| against log|V|
// above a minimum |V| is stored beside it (and is primary when compliance is never
// reached). RESET: |V| at the largest |I| (primary), the steepest drop of log|I| after
// it as a labelled variant. R_on / R_off are V_read / I at the read voltage, taken from
// the return half of the SET sweep (low-resistance state) and of the RESET sweep
// (high-resistance state) unless separate reads are given.

import { mean, median, sampleStd } from './stats.ts';
import { type Conditions, type Metric, missing, present } from './metric.ts';

export interface Sweep {
  voltageV: readonly number[];
  currentA: readonly number[];
}

export interface IvCycle {
  set?: Sweep;
  reset?: Sweep;
  /** Separate reads after SET and after RESET (resistance, Ω), when the protocol makes them. */
  rOnReadOhm?: number;
  rOffReadOhm?: number;
}

export interface IvOptions {
  complianceA: number;
  /** |V| at which R_on and R_off are read, V. */
  readVoltageV: number;
  /** |V| below which the steepest-rise rule ignores points, V. */
  minVoltageV?: number;
  conditions: Conditions;
}

/** Index of the first maximum |V| (the turning point of a dual sweep). */
export function turningIndex(v: readonly number[]): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[k]) + 1e-12) k = i;
  return k;
}

/** |V| at the first point of the outgoing half with |I| ≥ 0.99 × compliance, or NaN. */
export function complianceVoltage(s: Sweep, complianceA: number): number {
  const k = turningIndex(s.voltageV);
  for (let i = 0; i <= k; i++) if (Math.abs(s.currentA[i]) >= 0.99 * complianceA) return Math.abs(s.voltageV[i]);
  return NaN;
}

/** Largest (rise) or most negative (drop) slope of log|I| against log|V| on [from, to]; the |V| of the sample after it. */
function steepest(s: Sweep, from: number, to: number, minV: number, sign: 1 | -1): number {
  let best = -Infinity;
  let at = NaN;
  for (let i = from; i < to; i++) {
    const [v0, v1, i0, i1] = [Math.abs(s.voltageV[i]), Math.abs(s.voltageV[i + 1]), Math.abs(s.currentA[i]), Math.abs(s.currentA[i + 1])];
    if (v0 < minV || !(v1 > v0) || !(i0 > 0) || !(i1 > 0)) continue;
    const slope = (sign * (Math.log(i1) - Math.log(i0))) / (Math.log(v1) - Math.log(v0));
    if (slope > best) {
      best = slope;
      at = v1;
    }
  }
  return at;
}

export function steepestRiseVoltage(s: Sweep, minV = 0.1): number {
  return steepest(s, 0, turningIndex(s.voltageV), minV, 1);
}

/** |V| and |I| at the largest |I| of the outgoing half (the RESET peak). */
export function peakCurrent(s: Sweep): { index: number; v: number; i: number } {
  const k = turningIndex(s.voltageV);
  let best = 0;
  for (let i = 1; i <= k; i++) if (Math.abs(s.currentA[i]) > Math.abs(s.currentA[best])) best = i;
  return { index: best, v: Math.abs(s.voltageV[best]), i: Math.abs(s.currentA[best]) };
}

export function steepestDropVoltage(s: Sweep, minV = 0.1): number {
  return steepest(s, peakCurrent(s).index, turningIndex(s.voltageV), minV, -1);
}

/** V_read / |I| on the return half, at the point whose |V| is nearest the read voltage (Ω). */
export function returnResistance(s: Sweep, readV: number): number {
  const k = turningIndex(s.voltageV);
  let best = -1;
  for (let i = k; i < s.voltageV.length; i++) {
    if (best < 0 || Math.abs(Math.abs(s.voltageV[i]) - readV) < Math.abs(Math.abs(s.voltageV[best]) - readV)) best = i;
  }
  if (best < 0) return NaN;
  return Math.abs(s.voltageV[best]) / Math.abs(s.currentA[best]);
}

export interface IvCycleResult {
  vSetCompliance: number;
  vSetSteepest: number;
  vReset: number;
  vResetSteepest: number;
  rOn: number;
  rOff: number;
}

export function ivCycle(c: IvCycle, o: IvOptions): IvCycleResult {
  const minV = o.minVoltageV ?? 0.1;
  return {
    vSetCompliance: c.set ? complianceVoltage(c.set, o.complianceA) : NaN,
    vSetSteepest: c.set ? steepestRiseVoltage(c.set, minV) : NaN,
    vReset: c.reset ? peakCurrent(c.reset).v : NaN,
    vResetSteepest: c.reset ? steepestDropVoltage(c.reset, minV) : NaN,
    rOn: c.rOnReadOhm ?? (c.set ? returnResistance(c.set, o.readVoltageV) : NaN),
    rOff: c.rOffReadOhm ?? (c.reset ? returnResistance(c.reset, o.readVoltageV) : NaN),
  };
}

function spread(xs: number[]): { median: number; cv: number; n: number; sdLog10?: number } {
  const f = xs.filter(Number.isFinite);
  return { median: median(f), cv: f.length > 1 ? sampleStd(f) / mean(f) : NaN, n: f.length };
}

export function analyseIv(cycles: IvCycle[], o: IvOptions): { metrics: Metric[]; perCycle: IvCycleResult[] } {
  const per = cycles.map((c) => ivCycle(c, o));
  const cond = { ...o.conditions, compliance_A: o.complianceA, read_voltage_V: o.readVoltageV, cycles: cycles.length };
  const out: Metric[] = [];
  const summary = (id: string, qualifier: string | undefined, unit: string, method: string, values: number[], convention: string, logSpread = false) => {
    const s = spread(values);
    const base = { id, ...(qualifier ? { qualifier } : {}), unit, method, convention, conditions: cond };
    if (s.n === 0) return out.push(missing(base, `no cycle gave a value (${method})`));
    const logs = values.filter((x) => x > 0).map(Math.log10);
    const extra: Record<string, number> = { cycles: s.n };
    if (Number.isFinite(s.cv)) extra.cv = s.cv;
    if (logSpread && logs.length > 1) extra.sd_log10 = sampleStd(logs);
    const m = present(base, s.median);
    out.push(m.status === 'value' ? { ...m, extra } : m);
  };
  const anyCompliance = per.some((r) => Number.isFinite(r.vSetCompliance));
  summary('iv.v_set', anyCompliance ? undefined : 'steepest-rise', 'V', anyCompliance ? 'compliance' : 'steepest-rise', anyCompliance ? per.map((r) => r.vSetCompliance) : per.map((r) => r.vSetSteepest), anyCompliance ? 'primary: first |I| ≥ 0.99 × compliance on the outgoing half; median over cycles' : 'primary (compliance never reached): steepest rise of log|I| vs log|V|, first sample after the jump; median over cycles');
  if (anyCompliance) summary('iv.v_set', 'steepest-rise', 'V', 'steepest-rise', per.map((r) => r.vSetSteepest), 'variant: steepest rise of log|I| vs log|V| above the minimum |V|; median over cycles');
  summary('iv.v_reset', undefined, 'V', 'peak-current', per.map((r) => r.vReset), 'primary: |V| at the largest |I| of the RESET branch; median over cycles');
  summary('iv.v_reset', 'steepest-drop', 'V', 'steepest-drop', per.map((r) => r.vResetSteepest), 'variant: steepest drop of log|I| after the peak; median over cycles');
  summary('iv.r_on', undefined, 'Ω', 'read', per.map((r) => r.rOn), 'V_read / I in the low-resistance state; median, σ/μ and σ(log10 R) over cycles', true);
  summary('iv.r_off', undefined, 'Ω', 'read', per.map((r) => r.rOff), 'V_read / I in the high-resistance state; median, σ/μ and σ(log10 R) over cycles', true);
  summary('iv.on_off', undefined, '1', 'ratio', per.map((r) => r.rOff / r.rOn), 'R_off / R_on per cycle; median over cycles', true);
  return { metrics: out, perCycle: per };
}

export interface FormingStep {
  /** Stress voltage of the step, V. */
  voltageV: number;
  /** Read resistance after the step, Ω. */
  readOhm: number;
}

/** forming.v_form from stepped forming with a read after each step: the first step whose read falls below the target. */
export function formingFromSteps(steps: FormingStep[], targetOhm: number, conditions: Conditions): Metric {
  const base = { id: 'forming.v_form', unit: 'V', method: 'step-read', convention: `first step after which the read resistance is below ${targetOhm} Ω`, conditions: { ...conditions, target_ohm: targetOhm, steps: steps.length } };
  const k = steps.findIndex((s) => s.readOhm < targetOhm);
  if (k < 0) {
    const vmax = Math.max(...steps.map((s) => Math.abs(s.voltageV)));
    return missing(base, `not formed up to ${Number.isFinite(vmax) ? vmax : 0} V`);
  }
  const m = present(base, Math.abs(steps[k].voltageV));
  return m.status === 'value' ? { ...m, extra: { step: k + 1, read_ohm: steps[k].readOhm } } : m;
}

/** forming.v_form from a single DC sweep: the compliance rule; the steepest rise is stored as a variant. */
export function formingFromSweep(s: Sweep, complianceA: number, conditions: Conditions, minV = 0.1): Metric[] {
  const cond = { ...conditions, compliance_A: complianceA };
  const vc = complianceVoltage(s, complianceA);
  const vs = steepestRiseVoltage(s, minV);
  const out: Metric[] = [];
  const base = { id: 'forming.v_form', unit: 'V', method: 'compliance', convention: 'first |I| ≥ 0.99 × compliance on the outgoing half of the forming sweep', conditions: cond };
  const vmax = Math.abs(s.voltageV[turningIndex(s.voltageV)] ?? 0);
  out.push(Number.isFinite(vc) ? present(base, vc) : missing(base, `not formed up to ${vmax} V (compliance never reached)`));
  const vb = { id: 'forming.v_form', qualifier: 'steepest-rise', unit: 'V', method: 'steepest-rise', convention: 'variant: steepest rise of log|I| vs log|V| on the outgoing half', conditions: cond };
  out.push(Number.isFinite(vs) ? present(vb, vs) : missing(vb, 'no rise found'));
  return out;
}
