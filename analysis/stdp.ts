// STDP (metrics.md §6). Δt = t_post − t_pre (s); ΔW = (G_after − G_before)/G_before in %.
// Hebbian exponential sides fitted separately; Gaussian and Mexican-hat windows fitted
// over all points; the form with the lowest AIC is recorded as `stdp.form`
// (its convention names the winner, its value is the AIC margin to the runner-up).

import { maxAbs } from './stats.ts';
import { type CurveFit, type CurveModel, fitCurve } from './curve-fit.ts';
import { type Conditions, type Metric, missing, present } from './metric.ts';

export interface StdpInput {
  dtS: number[];
  dwPercent: number[];
  conditions: Conditions;
}

function spanOf(xs: number[]): number {
  return Math.max(maxAbs(xs), 1e-12);
}

function expSide(x: number[]): CurveModel {
  const span = spanOf(x);
  return {
    name: 'exponential',
    params: ['A', 'tau'],
    f: ([a, tau]) => (t) => a * Math.exp(-t / tau),
    amplitude: [true, false],
    starts: [0.1, 0.3, 1].map((fr) => [1, span * fr]),
    min: [-1e3, span * 1e-4],
    max: [1e3, span * 1e3],
  };
}

function gaussian(x: number[]): CurveModel {
  const span = spanOf(x);
  return {
    name: 'gaussian',
    params: ['A', 'sigma', 'c'],
    f: ([a, s, c]) => (t) => a * Math.exp(-(t * t) / (2 * s * s)) + c,
    amplitude: [true, false, true],
    starts: [0.1, 0.3, 1].flatMap((fr) => [
      [1, span * fr, 0],
      [-1, span * fr, 0],
    ]),
    min: [-1e3, span * 1e-4, -1e3],
    max: [1e3, span * 1e3, 1e3],
  };
}

function mexicanHat(x: number[]): CurveModel {
  const span = spanOf(x);
  return {
    name: 'mexican-hat',
    params: ['A', 'tau_a', 'tau_b'],
    f: ([a, ta, tb]) => (t) => a * (1 - (t * t) / (ta * ta)) * Math.exp(-Math.abs(t) / tb),
    amplitude: [true, false, false],
    starts: [0.1, 0.3, 1].flatMap((fr) => [
      [1, span * fr, span * fr],
      [-1, span * fr, span * fr],
    ]),
    min: [-1e3, span * 1e-4, span * 1e-4],
    max: [1e3, span * 1e3, span * 1e3],
  };
}

export function analyseStdp(input: StdpInput): Metric[] {
  const { conditions } = input;
  const pts = input.dtS.map((t, i) => [t, input.dwPercent[i]] as const).filter(([t, w]) => Number.isFinite(t) && Number.isFinite(w));
  const pos = pts.filter(([t]) => t > 0);
  const neg = pts.filter(([t]) => t < 0);
  const out: Metric[] = [];
  const sideMethod = 'nonlinear least squares (Levenberg–Marquardt) of one exponential on this side of Δt = 0';

  const plus = fitCurve(pos.map((p) => p[0]), pos.map((p) => p[1]), expSide(pos.map((p) => p[0])));
  // Negative side: ΔW = −A₋·e^(Δt/τ₋); fit A·e^(−|Δt|/τ) and report A₋ = −A.
  const minus = fitCurve(neg.map((p) => -p[0]), neg.map((p) => p[1]), expSide(neg.map((p) => -p[0])));
  const base = { method: sideMethod, conditions };
  const side = (r: ReturnType<typeof fitCurve>, name: string, sign: number) => {
    if (!r.ok) return [missing({ ...base, id: `stdp.a_${name}`, unit: '%' }, r.reason), missing({ ...base, id: `stdp.tau_${name}`, unit: 's' }, r.reason)];
    const stuck = boundReason(r.fit);
    if (stuck) return [missing({ ...base, id: `stdp.a_${name}`, unit: '%' }, stuck), missing({ ...base, id: `stdp.tau_${name}`, unit: 's' }, stuck)];
    const q = { nrmse: r.fit.nrmse, aic: r.fit.aic, points: r.fit.points };
    return [
      present({ ...base, id: `stdp.a_${name}`, unit: '%', stderr: r.fit.stderr.A, quality: q }, sign * r.fit.values.A),
      present({ ...base, id: `stdp.tau_${name}`, unit: 's', stderr: r.fit.stderr.tau, quality: q }, r.fit.values.tau),
    ];
  };
  out.push(...side(plus, 'plus', 1), ...side(minus, 'minus', -1));
  const ratioBase = { id: 'stdp.asymmetry', unit: '1', method: 'A₊ / A₋ from the exponential side fits', conditions };
  if (plus.ok && minus.ok) {
    const aMinus = -minus.fit.values.A;
    out.push(aMinus !== 0 ? present(ratioBase, plus.fit.values.A / aMinus) : missing(ratioBase, 'A₋ is 0'));
  } else out.push(missing(ratioBase, `needs both sides fitted (${!plus.ok ? 'Δt > 0: ' + plus.reason : 'Δt < 0: ' + (minus as { reason: string }).reason})`));

  const all = { x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) };
  const forms: { name: string; aic: number }[] = [];
  if (plus.ok && minus.ok) forms.push({ name: 'exponential-asymmetric', aic: combinedAic(plus.fit, minus.fit) });
  const symBase = { method: 'nonlinear least squares (Levenberg–Marquardt) over all Δt', conditions };
  // Symmetric forms: the width parameter is the headline, the others travel in `extra`.
  const symmetric: [CurveModel, string, string][] = [
    [gaussian(all.x), 'stdp.gaussian_sigma', 'sigma'],
    [mexicanHat(all.x), 'stdp.mexican_hat_tau_a', 'tau_a'],
  ];
  for (const [model, id, width] of symmetric) {
    const r = fitCurve(all.x, all.y, model);
    if (!r.ok) {
      out.push(missing({ ...symBase, id, unit: 's' }, r.reason));
      continue;
    }
    forms.push({ name: model.name, aic: r.fit.aic });
    const stuck = boundReason(r.fit);
    if (stuck) {
      out.push(missing({ ...symBase, id, unit: 's' }, stuck));
      continue;
    }
    const extra = Object.fromEntries(Object.entries(r.fit.values).filter(([k]) => k !== width));
    const quality = { nrmse: r.fit.nrmse, aic: r.fit.aic, points: r.fit.points };
    out.push(present({ ...symBase, id, unit: 's', stderr: r.fit.stderr[width], extra, quality }, Math.abs(r.fit.values[width])));
  }

  const formBase = { id: 'stdp.form', unit: '1', method: 'lowest AIC among the fitted window forms; value = AIC margin to the runner-up', conditions };
  forms.sort((a, b) => a.aic - b.aic);
  if (forms.length === 0) out.push(missing(formBase, 'no window form could be fitted'));
  else out.push(present({ ...formBase, convention: forms[0].name, extra: Object.fromEntries(forms.map((f) => [`aic_${f.name}`, f.aic])) }, forms.length > 1 ? forms[1].aic - forms[0].aic : 0));
  return out;
}

/** Why a fit that ran into a parameter bound gives no number (the data do not determine that parameter), or null. */
function boundReason(fit: CurveFit): string | null {
  if (fit.atBound.length === 0) return null;
  return `the ${fit.model} fit ran into its ${fit.atBound.map((b) => `${b.bound} bound on ${b.param} (${b.value.toPrecision(3)})`).join(' and ')}: the data do not determine it`;
}

/** AIC of the two-sided exponential model (4 parameters) from its two independent fits. */
function combinedAic(a: CurveFit, b: CurveFit): number {
  const m = a.points + b.points;
  return m * Math.log(Math.max(a.sse + b.sse, 1e-300) / m) + 2 * 4;
}
