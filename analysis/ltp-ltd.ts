// LTP/LTD analysis (metrics.md §1–3): nonlinearity fits with their variants, dynamic
// range, number of states and the three cycle-to-cycle statistics, as Metric objects.

import { type Conditions, type Metric, missing, present } from './metric.ts';
import {
  type ExpFit,
  fitLsq3,
  fitNeuroSimManual,
  maxDeviationFromLinear,
  mirrorLtd,
} from './nonlinearity.ts';
import { allFinite, maxOf, mean, median, medianCurve, minOf, sampleStd } from './stats.ts';

export interface LtpLtdCycle {
  /** G_0 … G_n of the potentiation train (S or any conductance-like unit). */
  ltp: number[];
  /** G_0 … G_n of the depression train. */
  ltd: number[];
}

export interface LtpLtdInput {
  cycles: LtpLtdCycle[];
  /** Unit of the conductance values ("S", or "a.u." for imported normalised weights). */
  unit: string;
  conditions: Conditions;
}

type Phase = 'ltp' | 'ltd';
const PHASES: Phase[] = ['ltp', 'ltd'];

/** Curves of one phase in the rising frame (LTD mirrored). */
function risingCurves(input: LtpLtdInput, phase: Phase): number[][] {
  return input.cycles.map((c) => (phase === 'ltp' ? c[phase] : mirrorLtd(c[phase])));
}

function nonlinearityMetrics(input: LtpLtdInput, phase: Phase, fit: ExpFit | string): Metric[] {
  const conditions = input.conditions;
  const curves = risingCurves(input, phase);
  const method =
    'least squares of G_k ≈ G_start + ΔG·y_A(k/n), three free parameters, on the cycle-median curve' +
    (phase === 'ltd' ? '; LTD train mirrored (read backwards)' : '');
  const base = { id: 'nl.lsq3', qualifier: phase, unit: '1', method, convention: 'signed', conditions };
  const out: Metric[] = [];
  if (typeof fit === 'string') {
    out.push(missing(base, fit));
    out.push(missing({ ...base, convention: 'magnitude' }, fit));
  } else {
    const perCycle = curves.map((c) => fitLsq3(c)).flatMap((r) => (r.ok ? [r.fit.nlLabel] : []));
    const wrongDirection = fit.deltaG <= 0;
    if (wrongDirection) {
      const reason =
        phase === 'ltp'
          ? `non-monotonic ramp: potentiation train lowered the conductance (fitted ΔG = ${fit.deltaG.toPrecision(3)} ${input.unit})`
          : `non-monotonic ramp: depression train raised the conductance (fitted ΔG = ${(-fit.deltaG).toPrecision(3)} ${input.unit})`;
      out.push(missing(base, reason), missing({ ...base, convention: 'magnitude' }, reason));
    } else {
      const extra: Record<string, number> = {
        A: fit.a,
        nu: fit.nu,
        g_start: fit.gStart,
        delta_g: fit.deltaG,
        cycles_fitted: perCycle.length,
      };
      if (perCycle.length > 0) {
        extra.label_cycle_median = median(perCycle);
        extra.label_cycle_min = minOf(perCycle);
        extra.label_cycle_max = maxOf(perCycle);
      }
      const quality = { nrmse: fit.nrmse, points: fit.points };
      const signed = present({ ...base, stderr: fit.stderrLabel, extra, quality }, fit.nlLabel);
      out.push(signed);
      out.push(present({ ...base, convention: 'magnitude', stderr: fit.stderrLabel, quality }, Math.abs(fit.nlLabel)));
    }
  }

  const median0 = medianCurve(curves);
  const manualBase = {
    id: 'nl.neurosim-manual',
    qualifier: phase,
    unit: '1',
    method: 'min/max-normalised cycle-median curve, endpoints pinned, only A fitted',
    convention: 'signed',
    conditions,
  };
  const manual = fitNeuroSimManual(median0);
  out.push(
    manual.ok
      ? present({ ...manualBase, extra: { A: manual.fit.a }, quality: { nrmse: manual.fit.nrmse } }, manual.fit.nlLabel)
      : missing(manualBase, manual.reason),
  );
  const devBase = {
    id: 'nl.maxdev',
    qualifier: phase,
    unit: '1',
    method: 'largest signed deviation of the min/max-normalised cycle-median curve from the diagonal (model-free)',
    convention: 'signed',
    conditions,
  };
  const dev = maxDeviationFromLinear(median0);
  out.push(dev.ok ? present({ ...devBase, extra: { at_pulse: dev.fit.atIndex } }, dev.fit.maxDev) : missing(devBase, dev.reason));
  return out;
}

/** ⌈0.05·n⌉ reads at each end, at least one. */
export function endWindow(n: number): number {
  return Math.max(1, Math.ceil(0.05 * n));
}

function dynamicRangeMetrics(input: LtpLtdInput, phase: Phase): Metric[] {
  const conditions = input.conditions;
  const ratioBase = {
    id: 'dr.ratio',
    qualifier: phase,
    unit: '1',
    method:
      phase === 'ltp'
        ? 'per cycle median of the last ⌈0.05·n⌉ LTP reads over median of the first ⌈0.05·n⌉; median over cycles'
        : 'per cycle median of the first ⌈0.05·n⌉ LTD reads over median of the last ⌈0.05·n⌉; median over cycles',
    conditions,
  };
  const pctBase = { ...ratioBase, id: 'dr.percent', unit: '%', method: ratioBase.method.replace('over', 'as ΔG/G_low against') };
  const ratios: number[] = [];
  const percents: number[] = [];
  for (const [ci, cycle] of input.cycles.entries()) {
    const g = cycle[phase];
    if (g.length < 2) return [missing(ratioBase, `cycle ${ci + 1} has fewer than 2 reads`), missing(pctBase, `cycle ${ci + 1} has fewer than 2 reads`)];
    if (!allFinite(g)) return [missing(ratioBase, `cycle ${ci + 1} has non-finite reads`), missing(pctBase, `cycle ${ci + 1} has non-finite reads`)];
    const w = endWindow(g.length - 1);
    const first = median(g.slice(0, w));
    const last = median(g.slice(g.length - w));
    const [high, low] = phase === 'ltp' ? [last, first] : [first, last];
    if (!(low > 0) || !(high > 0)) {
      const reason = `conductance is not positive (G_low = ${low.toPrecision(3)}, G_high = ${high.toPrecision(3)} ${input.unit}); a ratio needs absolute conductance`;
      return [missing(ratioBase, reason), missing(pctBase, reason)];
    }
    ratios.push(high / low);
    percents.push((100 * (high - low)) / low);
  }
  if (ratios.length === 0) return [missing(ratioBase, 'no cycles'), missing(pctBase, 'no cycles')];
  return [present({ ...ratioBase, extra: { cycles: ratios.length } }, median(ratios)), present({ ...pctBase }, median(percents))];
}

function stepsOf(curve: readonly number[]): number[] {
  const s: number[] = [];
  for (let k = 1; k < curve.length; k++) s.push(curve[k] - curve[k - 1]);
  return s;
}

function variabilityMetrics(input: LtpLtdInput, phase: Phase, fit: ExpFit | string): Metric[] {
  const conditions = input.conditions;
  const curves = risingCurves(input, phase);
  const out: Metric[] = [];
  const rangeBase = {
    id: 'c2c.step_range',
    qualifier: phase,
    unit: '%',
    method: 'sample std of (G_k − G_(k−1)) minus the fitted model step, over all steps and cycles, divided by the fitted |ΔG|',
    conditions,
  };
  const relBase = {
    id: 'c2c.step_rel',
    qualifier: phase,
    unit: '%',
    method: 'sample std of the steps divided by their mean, over steps whose fitted normalised conductance lies in [1/3, 2/3] (middle third of the range), all cycles',
    conditions,
  };
  if (typeof fit === 'string') {
    out.push(missing(rangeBase, `needs the nl.lsq3 fit: ${fit}`), missing(relBase, `needs the nl.lsq3 fit: ${fit}`));
  } else {
    const modelSteps = stepsOf(fit.model);
    const residuals: number[] = [];
    const middle: number[] = [];
    for (const c of curves) {
      if (c.length !== fit.model.length || !allFinite(c)) continue;
      const s = stepsOf(c);
      for (let k = 0; k < s.length; k++) {
        residuals.push(s[k] - modelSteps[k]);
        const yFit = (fit.model[k + 1] - fit.gStart) / fit.deltaG;
        if (yFit >= 1 / 3 && yFit <= 2 / 3) middle.push(s[k]);
      }
    }
    out.push(
      residuals.length >= 2
        ? present({ ...rangeBase, extra: { steps: residuals.length } }, (100 * sampleStd(residuals)) / Math.abs(fit.deltaG))
        : missing(rangeBase, 'fewer than 2 steps of equal-length cycles'),
    );
    const mStep = mean(middle);
    out.push(
      middle.length >= 2 && mStep !== 0
        ? present({ ...relBase, extra: { steps: middle.length } }, (100 * sampleStd(middle)) / Math.abs(mStep))
        : missing(relBase, `fewer than 2 steps in the middle third of the range (${middle.length})`),
    );
  }

  const cvBase = {
    id: 'cv.state',
    qualifier: phase,
    unit: '%',
    method: `σ/μ (ddof = 1) across cycles of the conductance after the last pulse of the ${phase === 'ltp' ? 'LTP (potentiated' : 'LTD (depressed'} state)`,
    conditions,
  };
  const ends = input.cycles.map((c) => c[phase][c[phase].length - 1]).filter(Number.isFinite);
  if (ends.length < 2) out.push(missing(cvBase, `needs at least 2 cycles (have ${ends.length})`));
  else {
    const mu = mean(ends);
    out.push(mu > 0 ? present({ ...cvBase, extra: { cycles: ends.length } }, (100 * sampleStd(ends)) / mu) : missing(cvBase, `mean state is not positive (${mu.toPrecision(3)})`));
  }

  const distinctBase = {
    id: 'states.distinct',
    qualifier: phase,
    unit: 'states',
    method: 'count of pulse steps k with |mean_c(G_k − G_(k−1))| > 2·std_c of that step (cycle-to-cycle)',
    conditions,
  };
  const equal = curves.filter((c) => c.length === curves[0]?.length && allFinite(c));
  if (equal.length < 2) out.push(missing(distinctBase, `needs at least 2 complete cycles (have ${equal.length})`));
  else {
    const stepsByCycle = equal.map(stepsOf);
    let count = 0;
    for (let k = 0; k < stepsByCycle[0].length; k++) {
      const sk = stepsByCycle.map((s) => s[k]);
      if (Math.abs(mean(sk)) > 2 * sampleStd(sk)) count++;
    }
    out.push(present({ ...distinctBase, extra: { cycles: equal.length } }, count));
  }
  return out;
}

export function analyseLtpLtd(input: LtpLtdInput): Metric[] {
  const out: Metric[] = [];
  const n = input.cycles[0]?.ltp.length ? input.cycles[0].ltp.length - 1 : 0;
  out.push(
    n > 0
      ? present({ id: 'states.pulses', unit: 'pulses', method: 'pulses per full ramp (NeuroSim "number of states")', conditions: input.conditions }, n)
      : missing({ id: 'states.pulses', unit: 'pulses', method: 'pulses per full ramp', conditions: input.conditions }, 'no LTP train'),
  );
  for (const phase of PHASES) {
    const curves = risingCurves(input, phase);
    const med = medianCurve(curves);
    const r = curves.length === 0 ? { ok: false as const, reason: 'no cycles' } : fitLsq3(med);
    const fit: ExpFit | string = r.ok ? r.fit : r.reason;
    out.push(...nonlinearityMetrics(input, phase, fit));
    out.push(...dynamicRangeMetrics(input, phase));
    out.push(...variabilityMetrics(input, phase, fit));
  }
  return out;
}
