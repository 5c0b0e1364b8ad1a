// LTP/LTD analysis (docs/metrics.md §1–3): nonlinearity fits with their variants,
// dynamic range, number of states, read noise and the cycle-to-cycle statistics.
//
// Real data are imperfect, and every number says how it dealt with that:
// - LTP and LTD ramps are counted independently and may differ in length; every usable
//   ramp enters every statistic (a cycle may lack one phase).
// - A read that is not a finite number is left out of its ramp only, and counted.
// - A ramp with fewer than two usable reads is left out, and counted.
// - Glitch reads are flagged by a stated robust rule (an isolated read more than 10
//   robust σ from the fitted curve, both neighbours within half its deviation), left out
//   and counted.
// - Reasons name the data's own coordinates: cycle number and read index as recorded
//   (before LTD mirroring).

import { type Conditions, type Metric, missing, present } from './metric.ts';
import { type ExpFit, fitLsq3, fitNeuroSimManual, maxDeviationFromLinear } from './nonlinearity.ts';
import { xOfY, yNu } from './exp-model.ts';
import { maxOf, mean, median, medianCurve, minOf, robustSigma, sampleStd } from './stats.ts';

export interface LtpLtdCycle {
  /** G_0 … G_n of the potentiation train (S or any conductance-like unit); [] when the cycle has none. */
  ltp: number[];
  /** G_0 … G_n of the depression train; [] when the cycle has none. */
  ltd: number[];
  /** The cycle's number in the data (default: its position + 1). */
  cycle?: number;
}

export interface LtpLtdInput {
  cycles: LtpLtdCycle[];
  /** Unit of the conductance values ("S", or "a.u." for imported normalised weights). */
  unit: string;
  conditions: Conditions;
  /** Repeated reads at one state with no pulse between them (read noise), when measured. */
  repeatedReads?: number[][];
}

type Phase = 'ltp' | 'ltd';
const PHASES: Phase[] = ['ltp', 'ltd'];
/** Robust σ multiples beyond which an isolated read is a glitch. */
export const GLITCH_SIGMAS = 10;
const GLITCH_RULE = `glitch rule: an inner read more than ${GLITCH_SIGMAS} robust σ (1.4826·MAD of the residuals) and 3 median steps from the fitted curve, both neighbours deviating less than half as much`;

/** One ramp in the rising frame (LTD mirrored), with its excluded reads as NaN. */
interface Ramp {
  cycle: number;
  g: number[];
  /** Read index in the data for index k of `g` (undoes the LTD mirroring). */
  fileIndex: (k: number) => number;
}

interface PreparedPhase {
  ramps: Ramp[];
  nonFinite: number;
  glitches: number;
  unusable: number;
  notes: string[];
  fit: ExpFit | string;
  /** Whether every usable ramp has the same length and no excluded read (then the fit is on the cycle-median curve). */
  regular: boolean;
}

function risingRamps(input: LtpLtdInput, phase: Phase): { ramps: Ramp[]; nonFinite: number; unusable: number; notes: string[] } {
  const ramps: Ramp[] = [];
  let nonFinite = 0;
  let unusable = 0;
  const notes: string[] = [];
  input.cycles.forEach((c, i) => {
    const raw = c[phase];
    if (raw.length === 0) return;
    const cycle = c.cycle ?? i + 1;
    const n = raw.length - 1;
    const g = (phase === 'ltp' ? raw : [...raw].reverse()).map((v) => (Number.isFinite(v) ? v : NaN));
    const bad = g.filter((v) => Number.isNaN(v)).length;
    nonFinite += bad;
    if (g.length - bad < 2) {
      unusable++;
      notes.push(`cycle ${cycle}: ${g.length - bad} usable read${g.length - bad === 1 ? '' : 's'}`);
      return;
    }
    ramps.push({ cycle, g, fileIndex: phase === 'ltp' ? (k) => k : (k) => n - k });
  });
  return { ramps, nonFinite, unusable, notes };
}

function modelAt(fit: ExpFit, x: number): number {
  return fit.gStart + fit.deltaG * yNu(x, fit.nu);
}

function isRegular(ramps: Ramp[]): boolean {
  return ramps.length > 0 && ramps.every((r) => r.g.length === ramps[0].g.length && r.g.every(Number.isFinite));
}

/** The nl.lsq3 fit of a phase: on the cycle-median curve when the ramps are regular, else pooled over every read at x = k/n_r. */
function fitPhase(ramps: Ramp[]): ExpFit | string {
  if (ramps.length === 0) return 'no usable ramp';
  if (isRegular(ramps)) {
    const r = fitLsq3(medianCurve(ramps.map((x) => x.g)));
    return r.ok ? r.fit : r.reason;
  }
  const g: number[] = [];
  const x: number[] = [];
  for (const r of ramps) {
    const n = r.g.length - 1;
    r.g.forEach((v, k) => {
      if (Number.isFinite(v)) {
        g.push(v);
        x.push(n > 0 ? k / n : 0);
      }
    });
  }
  const r = fitLsq3(g, x);
  return r.ok ? r.fit : r.reason;
}

/** Flags isolated reads far from the fitted curve (see GLITCH_RULE); returns how many, marking them NaN. */
function flagGlitches(ramps: Ramp[], fit: ExpFit, notes: string[]): number {
  const resid = ramps.map((r) => r.g.map((v, k) => v - modelAt(fit, r.g.length > 1 ? k / (r.g.length - 1) : 0)));
  const sigma = robustSigma(resid.flat());
  // A glitch is a gross error: also larger than three typical steps (noise-free data have σ ≈ 0).
  const steps = ramps.flatMap((r) => r.g.slice(1).map((v, k) => Math.abs(v - r.g[k])));
  const floor = 3 * median(steps);
  if (!(sigma >= 0) || !(floor > 0)) return 0;
  const threshold = Math.max(GLITCH_SIGMAS * sigma, floor);
  const center = median(resid.flat());
  let count = 0;
  ramps.forEach((r, i) => {
    const d = resid[i].map((v) => v - center);
    const flagged: number[] = [];
    // Only inner reads: at a ramp's ends a glitch cannot be told from a real end state.
    for (let k = 1; k < d.length - 1; k++) {
      if (!(Math.abs(d[k]) > threshold)) continue;
      const calm = (j: number) => Number.isFinite(d[j]) && Math.abs(d[j]) < 0.5 * Math.abs(d[k]);
      if (calm(k - 1) && calm(k + 1)) flagged.push(k);
    }
    for (const k of flagged) {
      r.g[k] = NaN;
      count++;
      if (notes.length < 8) notes.push(`cycle ${r.cycle}, read ${r.fileIndex(k)}: glitch (${(d[k] / sigma).toFixed(0)} σ)`);
    }
  });
  return count;
}

function preparePhase(input: LtpLtdInput, phase: Phase): PreparedPhase {
  const { ramps, nonFinite, unusable, notes } = risingRamps(input, phase);
  let fit = fitPhase(ramps);
  let glitches = 0;
  if (typeof fit !== 'string' && fit.deltaG !== 0) {
    glitches = flagGlitches(ramps, fit, notes);
    if (glitches > 0) fit = fitPhase(ramps.filter((r) => r.g.filter(Number.isFinite).length >= 2));
  }
  const usable = ramps.filter((r) => r.g.filter(Number.isFinite).length >= 2);
  return { ramps: usable, nonFinite, glitches, unusable: unusable + (ramps.length - usable.length), notes, fit, regular: isRegular(usable) };
}

/** What was left out, for a metric's `extra` (only the non-zero counts). */
function exclusions(p: PreparedPhase): Record<string, number> {
  const e: Record<string, number> = {};
  if (p.nonFinite) e.excluded_nonfinite_reads = p.nonFinite;
  if (p.glitches) e.excluded_glitch_reads = p.glitches;
  if (p.unusable) e.excluded_ramps = p.unusable;
  return e;
}

function exclusionText(p: PreparedPhase): string {
  const parts: string[] = [];
  if (p.nonFinite) parts.push(`${p.nonFinite} non-finite read(s) left out`);
  if (p.glitches) parts.push(`${p.glitches} glitch read(s) left out (${GLITCH_RULE})`);
  if (p.unusable) parts.push(`${p.unusable} ramp(s) with fewer than 2 usable reads left out`);
  if (p.notes.length) parts.push(`e.g. ${p.notes.slice(0, 3).join('; ')}`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

function nonlinearityMetrics(input: LtpLtdInput, phase: Phase, p: PreparedPhase): Metric[] {
  const conditions = input.conditions;
  const fit = p.fit;
  const where = p.regular ? 'on the cycle-median curve' : `pooled over every usable read of ${p.ramps.length} ramps at x = k/n of each ramp (ramps differ in length or have reads left out)`;
  const method =
    `least squares of G_k ≈ G_start + ΔG·y_A(k/n), three free parameters, ${where}` + (phase === 'ltd' ? '; LTD train mirrored (read backwards)' : '') + exclusionText(p);
  const base = { id: 'nl.lsq3', qualifier: phase, unit: '1', method, convention: 'signed', conditions };
  const out: Metric[] = [];
  if (typeof fit === 'string') {
    out.push(missing(base, fit), missing({ ...base, convention: 'magnitude' }, fit));
  } else if (fit.deltaG <= 0) {
    const reason =
      phase === 'ltp'
        ? `non-monotonic ramp: potentiation train lowered the conductance (fitted ΔG = ${fit.deltaG.toPrecision(3)} ${input.unit})`
        : `non-monotonic ramp: depression train raised the conductance (fitted ΔG = ${(-fit.deltaG).toPrecision(3)} ${input.unit})`;
    out.push(missing(base, reason), missing({ ...base, convention: 'magnitude' }, reason));
  } else {
    const perCycle = p.ramps.map((r) => (r.g.every(Number.isFinite) ? fitLsq3(r.g) : fitLsq3(r.g.filter(Number.isFinite), r.g.flatMap((v, k) => (Number.isFinite(v) ? [k / (r.g.length - 1)] : []))))).flatMap((r) => (r.ok ? [r.fit.nlLabel] : []));
    const extra: Record<string, number> = { A: fit.a, nu: fit.nu, g_start: fit.gStart, delta_g: fit.deltaG, cycles_fitted: perCycle.length, ramps: p.ramps.length, ...exclusions(p) };
    if (perCycle.length > 0) {
      extra.label_cycle_median = median(perCycle);
      extra.label_cycle_min = minOf(perCycle);
      extra.label_cycle_max = maxOf(perCycle);
    }
    const quality = { nrmse: fit.nrmse, points: fit.points };
    out.push(present({ ...base, stderr: fit.stderrLabel, extra, quality }, fit.nlLabel));
    out.push(present({ ...base, convention: 'magnitude', stderr: fit.stderrLabel, quality }, Math.abs(fit.nlLabel)));
  }

  // The normalised variants need one curve: the cycle-median curve over the ramps of the most common length.
  const lengths = p.ramps.map((r) => r.g.length);
  const common = lengths.length ? median(lengths) : 0;
  const same = p.ramps.filter((r) => r.g.length === Math.round(common));
  const median0 = medianCurve(same.map((r) => r.g));
  const subset = same.length < p.ramps.length ? ` (${same.length} of ${p.ramps.length} ramps: those of the most common length, ${Math.round(common) - 1} pulses)` : '';
  const manualBase = {
    id: 'nl.neurosim-manual',
    qualifier: phase,
    unit: '1',
    method: `min/max-normalised cycle-median curve${subset}, endpoints pinned, only A fitted`,
    convention: 'signed',
    conditions,
  };
  const manual = fitNeuroSimManual(median0);
  out.push(manual.ok ? present({ ...manualBase, extra: { A: manual.fit.a }, quality: { nrmse: manual.fit.nrmse } }, manual.fit.nlLabel) : missing(manualBase, manual.reason));
  const devBase = {
    id: 'nl.maxdev',
    qualifier: phase,
    unit: '1',
    method: `largest signed deviation of the min/max-normalised cycle-median curve${subset} from the diagonal (model-free)`,
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

/** Per ramp G_high and G_low in the rising frame (median of the end windows, excluded reads skipped). */
function ends(r: Ramp): { low: number; high: number } | null {
  const w = endWindow(r.g.length - 1);
  const first = r.g.slice(0, w).filter(Number.isFinite);
  const last = r.g.slice(r.g.length - w).filter(Number.isFinite);
  if (first.length === 0 || last.length === 0) return null;
  return { low: median(first), high: median(last) };
}

function dynamicRange(input: LtpLtdInput, phase: Phase, p: PreparedPhase): { metrics: Metric[]; low: number; high: number } {
  const conditions = input.conditions;
  const ratioBase = {
    id: 'dr.ratio',
    qualifier: phase,
    unit: '1',
    method:
      (phase === 'ltp'
        ? 'per ramp median of the last ⌈0.05·n⌉ LTP reads over median of the first ⌈0.05·n⌉; median over ramps'
        : 'per ramp median of the first ⌈0.05·n⌉ LTD reads over median of the last ⌈0.05·n⌉; median over ramps') + exclusionText(p),
    conditions,
  };
  const pctBase = { ...ratioBase, id: 'dr.percent', unit: '%', method: ratioBase.method.replace(' over ', ' as ΔG/G_low against ') };
  const ratios: number[] = [];
  const percents: number[] = [];
  const lows: number[] = [];
  const highs: number[] = [];
  let noEnds = 0;
  for (const r of p.ramps) {
    const e = ends(r);
    if (!e) {
      noEnds++;
      continue;
    }
    if (!(e.low > 0) || !(e.high > 0)) {
      const reason = `conductance is not positive in cycle ${r.cycle} (G_low = ${e.low.toPrecision(3)}, G_high = ${e.high.toPrecision(3)} ${input.unit}); a ratio needs absolute conductance`;
      return { metrics: [missing(ratioBase, reason), missing(pctBase, reason)], low: NaN, high: NaN };
    }
    lows.push(e.low);
    highs.push(e.high);
    ratios.push(e.high / e.low);
    percents.push((100 * (e.high - e.low)) / e.low);
  }
  if (ratios.length === 0) {
    const reason = p.ramps.length === 0 ? 'no usable ramp' : 'no ramp has readable end windows';
    return { metrics: [missing(ratioBase, reason), missing(pctBase, reason)], low: NaN, high: NaN };
  }
  const extra = { ramps: ratios.length, ...exclusions(p), ...(noEnds ? { ramps_without_end_reads: noEnds } : {}) };
  return { metrics: [present({ ...ratioBase, extra }, median(ratios)), present({ ...pctBase, extra }, median(percents))], low: median(lows), high: median(highs) };
}

/** Read noise σ/μ from repeated reads at one state (pooled over blocks, each block's own mean). */
export function readNoise(blocks: number[][]): { value: number; reads: number; dof: number } | null {
  const rel: number[] = [];
  for (const b of blocks) {
    const f = b.filter(Number.isFinite);
    if (f.length < 2) continue;
    const m = mean(f);
    if (!(Math.abs(m) > 0)) continue;
    for (const v of f) rel.push((v - m) / m);
  }
  if (rel.length < 10) return null;
  // Pooled within-block variance, each block losing one degree of freedom to its mean.
  const blocksUsed = blocks.filter((b) => b.filter(Number.isFinite).length >= 2).length;
  const ss = rel.reduce((s, v) => s + v * v, 0);
  return { value: Math.sqrt(ss / (rel.length - blocksUsed)), reads: rel.length, dof: rel.length - blocksUsed };
}

function variabilityMetrics(input: LtpLtdInput, phase: Phase, p: PreparedPhase, range: { low: number; high: number }, noise: { value: number; reads: number; dof: number } | null): Metric[] {
  const conditions = input.conditions;
  const fit = p.fit;
  const out: Metric[] = [];
  const byRange = range.high > range.low;
  const rangeBase = {
    id: 'c2c.step_range',
    qualifier: phase,
    unit: '%',
    method:
      'sample std of the step residuals (G_k − G_(k−1) minus the fitted curve’s step at k/n of its ramp), over every step of every usable ramp, divided by ' +
      (byRange ? 'G_max − G_min (the dr.ratio end windows, median over ramps)' : 'the fitted |ΔG| (deviation: G_max − G_min is not available for these data)') +
      exclusionText(p),
    conditions,
  };
  const relBase = {
    id: 'c2c.step_rel',
    qualifier: phase,
    unit: '%',
    method: 'sample std of the relative step residuals ΔG/ΔĜ − 1 (ΔĜ the fitted curve’s step from the state the step started in) over the steps starting in the middle third of the fitted range, every usable ramp' + exclusionText(p),
    conditions,
  };
  if (typeof fit === 'string' || fit.deltaG <= 0) {
    const why = typeof fit === 'string' ? fit : 'the ramp does not move in its direction';
    out.push(missing(rangeBase, `needs the nl.lsq3 fit: ${why}`), missing(relBase, `needs the nl.lsq3 fit: ${why}`));
  } else {
    const residuals: number[] = [];
    const relative: number[] = [];
    const readShare: number[] = [];
    for (const r of p.ramps) {
      const n = r.g.length - 1;
      for (let k = 1; k <= n; k++) {
        const a = r.g[k - 1];
        const b = r.g[k];
        if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
        const modelStep = modelAt(fit, k / n) - modelAt(fit, (k - 1) / n);
        residuals.push(b - a - modelStep);
        // The relative residual compares each step with the model's step from the state it
        // started in (where on the curve the device was), not from its pulse index: a ramp that
        // starts lower or higher than the median one is not write noise.
        const ya = (a - fit.gStart) / fit.deltaG;
        if (ya >= 1 / 3 && ya <= 2 / 3) {
          const stepFromState = fit.gStart + fit.deltaG * yNu(Math.min(1, xOfY(ya, fit.nu) + 1 / n), fit.nu) - a;
          if (stepFromState !== 0) {
            relative.push((b - a) / stepFromState - 1);
            // Read noise alone gives a step variance of 2·σ_r²·G² (two independent reads).
            if (noise) readShare.push((2 * noise.value ** 2 * ((a + b) / 2) ** 2) / stepFromState ** 2);
          }
        }
      }
    }
    const denom = byRange ? range.high - range.low : Math.abs(fit.deltaG);
    out.push(
      residuals.length >= 2
        ? present({ ...rangeBase, extra: { steps: residuals.length, ramps: p.ramps.length, ...exclusions(p) } }, (100 * sampleStd(residuals)) / denom)
        : missing(rangeBase, `fewer than 2 steps between usable reads (${residuals.length})`),
    );
    if (relative.length >= 2) {
      const s = sampleStd(relative);
      out.push(present({ ...relBase, extra: { steps: relative.length, ramps: p.ramps.length, ...exclusions(p) } }, 100 * s));
      const writeBase = {
        ...relBase,
        id: 'c2c.write_noise',
        method: `c2c.step_rel with the read noise removed: √max(0, s² − mean(2·σ_r²·G²/ΔĜ²)), σ_r = read.noise${noise ? ` (${(100 * noise.value).toPrecision(3)} %)` : ''}`,
      };
      if (!noise) out.push(missing(writeBase, 'needs read.noise (repeated reads) to separate write noise from read noise'));
      else {
        const share = mean(readShare);
        // σ_r itself comes from few reads: its share of s² is uncertain by ≈ √(2/dof) of itself.
        const shareSe = share * Math.sqrt(2 / Math.max(1, noise.dof));
        const excess = s * s - share;
        if (excess <= 2 * shareSe) {
          // Read noise explains the spread within its own uncertainty: the write noise is below
          // what these data resolve — reported as an upper bound, never as 0.
          const bound = Math.sqrt(Math.max(0, excess + 2 * shareSe));
          out.push(present({ ...writeBase, convention: 'upper-bound', extra: { read_noise_share: share / (s * s), read_noise_dominates: 1 } }, 100 * bound));
        } else {
          const value = Math.sqrt(excess);
          out.push(present({ ...writeBase, stderr: (100 * shareSe) / (2 * value), extra: { read_noise_share: share / (s * s) } }, 100 * value));
        }
      }
    } else out.push(missing(relBase, `fewer than 2 steps in the middle third of the range (${relative.length})`));
  }

  const cvBase = {
    id: 'cv.state',
    qualifier: phase,
    unit: '%',
    method: `σ/μ (ddof = 1) across ramps of the conductance after the last pulse of the ${phase === 'ltp' ? 'LTP (potentiated' : 'LTD (depressed'} state)` + exclusionText(p),
    conditions,
  };
  // The state reached: the LTP train's last read; the LTD train's last read is index 0 of the mirrored ramp.
  const endStates = p.ramps.map((r) => (phase === 'ltp' ? r.g[r.g.length - 1] : r.g[0])).filter(Number.isFinite);
  if (endStates.length < 2) out.push(missing(cvBase, `needs at least 2 ramps with a usable end state (have ${endStates.length})`));
  else {
    const mu = mean(endStates);
    out.push(mu > 0 ? present({ ...cvBase, extra: { ramps: endStates.length } }, (100 * sampleStd(endStates)) / mu) : missing(cvBase, `mean state is not positive (${mu.toPrecision(3)})`));
  }

  const distinctBase = {
    id: 'states.distinct',
    qualifier: phase,
    unit: 'states',
    method: 'count of pulse steps k with |mean over ramps of (G_k − G_(k−1))| > 2·std over ramps of that step (every ramp that has step k)' + exclusionText(p),
    conditions,
  };
  if (p.ramps.length < 2) out.push(missing(distinctBase, `needs at least 2 usable ramps (have ${p.ramps.length})`));
  else {
    const maxN = maxOf(p.ramps.map((r) => r.g.length - 1));
    let count = 0;
    let judged = 0;
    for (let k = 1; k <= maxN; k++) {
      const sk = p.ramps.flatMap((r) => (k < r.g.length && Number.isFinite(r.g[k]) && Number.isFinite(r.g[k - 1]) ? [r.g[k] - r.g[k - 1]] : []));
      if (sk.length < 2) continue;
      judged++;
      if (Math.abs(mean(sk)) > 2 * sampleStd(sk)) count++;
    }
    out.push(present({ ...distinctBase, extra: { ramps: p.ramps.length, steps_judged: judged } }, count));
  }
  return out;
}

export function analyseLtpLtd(input: LtpLtdInput): Metric[] {
  const out: Metric[] = [];
  const prepared = { ltp: preparePhase(input, 'ltp'), ltd: preparePhase(input, 'ltd') };
  const pulses = prepared.ltp.ramps.map((r) => r.g.length - 1);
  const pulsesBase = { id: 'states.pulses', unit: 'pulses', method: 'pulses per full LTP ramp (NeuroSim "number of states"); the median when ramps differ', conditions: input.conditions };
  out.push(
    pulses.length > 0
      ? present({ ...pulsesBase, ...(minOf(pulses) !== maxOf(pulses) ? { extra: { min: minOf(pulses), max: maxOf(pulses), ramps: pulses.length } } : {}) }, median(pulses))
      : missing(pulsesBase, 'no usable LTP ramp'),
  );
  const noise = input.repeatedReads ? readNoise(input.repeatedReads) : null;
  const noiseBase = { id: 'read.noise', unit: '%', method: 'σ/μ of repeated reads at one state with no pulse between them, pooled over the blocks of reads', conditions: input.conditions };
  out.push(
    noise
      ? present({ ...noiseBase, extra: { reads: noise.reads, blocks: input.repeatedReads!.length } }, 100 * noise.value)
      : missing(noiseBase, input.repeatedReads ? 'fewer than 10 usable repeated reads' : 'no repeated reads were taken (the LTP/LTD protocol takes them with readRepeats > 0)'),
  );
  for (const phase of PHASES) {
    const p = prepared[phase];
    out.push(...nonlinearityMetrics(input, phase, p));
    const dr = dynamicRange(input, phase, p);
    out.push(...dr.metrics);
    out.push(...variabilityMetrics(input, phase, p, dr, noise));
  }
  return out;
}
