// Short- to long-term transition (metrics.md §13). For trains of n pulses:
// retained(n) = (G(t_late) − G_before) / (G(t_first) − G_before), both reads timed from the
// end of the train; n_transition is the smallest n whose retained fraction exceeds the
// criterion, interpolated on log n between the last n below and the first above.

import { type Conditions, type Metric, missing, present } from './metric.ts';

export interface StpTrain {
  n: number;
  gBefore: number;
  gFirst: number;
  gLate: number;
}

export function retainedFraction(t: StpTrain): number {
  return (t.gLate - t.gBefore) / (t.gFirst - t.gBefore);
}

export function transitionN(trains: StpTrain[], criterion: number): number {
  const rows = trains
    .map((t) => ({ n: t.n, r: retainedFraction(t) }))
    .filter((x) => Number.isFinite(x.r))
    .sort((a, b) => a.n - b.n);
  const k = rows.findIndex((x) => x.r > criterion);
  if (k < 0) return NaN;
  if (k === 0) return rows[0].n;
  const [a, b] = [rows[k - 1], rows[k]];
  const f = (criterion - a.r) / (b.r - a.r);
  return Math.exp(Math.log(a.n) + f * (Math.log(b.n) - Math.log(a.n)));
}

export function analyseStpLtp(trains: StpTrain[], criterion: number, conditions: Conditions): Metric[] {
  const cond = { ...conditions, criterion };
  const out: Metric[] = trains.map((t) =>
    present({ id: 'stp.retained', qualifier: `n=${t.n}`, unit: '1', method: '(G(t_late) − G_before)/(G(t_first) − G_before)', conditions: { ...cond, n: t.n } }, retainedFraction(t)),
  );
  const base = { id: 'stp.n_transition', unit: 'pulses', method: `smallest n with retained fraction > ${criterion}, interpolated on log n`, conditions: cond };
  const nMax = Math.max(...trains.map((t) => t.n));
  const nt = transitionN(trains, criterion);
  out.push(Number.isFinite(nt) ? present(base, nt) : missing(base, `> ${nMax} (no train retained more than ${criterion})`));
  return out;
}
