// Endurance (metrics.md §4), streamed: one read of each state per cycle is pushed and
// summarised on the fly, so memory grows only with the optional per-cycle window output.
// Memory window W_c = G_LRS,c / G_HRS,c. Cycles to failure: the first cycle after which
// W stays below the criterion (default 2) for `consecutive` (default 10) cycles; with no
// failure the result is "≥ N cycles" (convention `lower-bound`).

import { type Conditions, type Metric, missing, present } from './metric.ts';

class Welford {
  n = 0;
  private m = 0;
  private s = 0;
  push(x: number): void {
    this.n++;
    const d = x - this.m;
    this.m += d / this.n;
    this.s += d * (x - this.m);
  }
  get mean(): number {
    return this.n ? this.m : NaN;
  }
  get std(): number {
    return this.n > 1 ? Math.sqrt(this.s / (this.n - 1)) : NaN;
  }
}

export interface EnduranceOptions {
  windowCriterion?: number;
  consecutive?: number;
  /** Keep W per cycle (for plots); off for huge records where only the summary is wanted. */
  keepWindow?: boolean;
}

export class EnduranceAccumulator {
  readonly criterion: number;
  readonly consecutive: number;
  private cycles = 0;
  private belowRun = 0;
  private belowStart = 0;
  private failedAt: number | null = null;
  private readonly hrs = new Welford();
  private readonly lrs = new Welford();
  private readonly w = new Welford();
  private invalid = 0;
  private windows: Float64Array | null;
  private windowCount = 0;

  constructor(opts: EnduranceOptions = {}) {
    this.criterion = opts.windowCriterion ?? 2;
    this.consecutive = opts.consecutive ?? 10;
    this.windows = opts.keepWindow === false ? null : new Float64Array(1024);
  }

  /** One cycle: conductance of the high-resistance and of the low-resistance state. */
  push(gHrs: number, gLrs: number): void {
    this.cycles++;
    const ok = Number.isFinite(gHrs) && Number.isFinite(gLrs) && gHrs > 0 && gLrs > 0;
    const win = ok ? gLrs / gHrs : NaN;
    if (!ok) this.invalid++;
    else {
      this.hrs.push(gHrs);
      this.lrs.push(gLrs);
      this.w.push(win);
    }
    if (this.windows) {
      if (this.windowCount === this.windows.length) {
        const grown = new Float64Array(this.windows.length * 2);
        grown.set(this.windows);
        this.windows = grown;
      }
      this.windows[this.windowCount++] = win;
    }
    if (this.failedAt !== null) return;
    // An unreadable cycle counts as below the criterion: a device that cannot be read has no window.
    if (!(win >= this.criterion)) {
      if (this.belowRun === 0) this.belowStart = this.cycles;
      this.belowRun++;
      if (this.belowRun >= this.consecutive) this.failedAt = this.belowStart;
    } else this.belowRun = 0;
  }

  pushMany(gHrs: ArrayLike<number>, gLrs: ArrayLike<number>): void {
    const n = Math.min(gHrs.length, gLrs.length);
    for (let i = 0; i < n; i++) this.push(gHrs[i], gLrs[i]);
  }

  windowPerCycle(): Float64Array {
    return this.windows ? this.windows.subarray(0, this.windowCount) : new Float64Array(0);
  }

  metrics(conditions: Conditions): Metric[] {
    const c = { ...conditions, window_criterion: this.criterion, consecutive_cycles: this.consecutive, cycles_measured: this.cycles };
    const cyclesBase = {
      id: 'endurance.cycles',
      unit: 'cycles',
      method: `first cycle after which W = G_LRS/G_HRS stays below ${this.criterion} for ${this.consecutive} consecutive cycles`,
      conditions: c,
    };
    if (this.cycles === 0) {
      const why = 'no cycles';
      return ['endurance.cycles', 'endurance.window', 'cv.state'].map((id) => missing({ ...cyclesBase, id }, why));
    }
    const out: Metric[] = [];
    if (this.failedAt !== null) out.push(present({ ...cyclesBase, convention: 'failure', extra: { failed_at_cycle: this.failedAt } }, this.failedAt - 1));
    else out.push(present({ ...cyclesBase, convention: 'lower-bound', extra: { no_failure: 1 } }, this.cycles));
    const wBase = { id: 'endurance.window', unit: '1', method: 'mean of W = G_LRS/G_HRS over readable cycles', conditions: c };
    out.push(this.w.n > 0 ? present({ ...wBase, extra: { unreadable_cycles: this.invalid } }, this.w.mean) : missing(wBase, 'no readable cycle'));
    for (const [q, acc] of [
      ['hrs', this.hrs],
      ['lrs', this.lrs],
    ] as const) {
      const base = { id: 'cv.state', qualifier: q, unit: '%', method: `σ/μ (ddof = 1) of G_${q.toUpperCase()} over cycles`, conditions: c };
      out.push(acc.n > 1 && acc.mean > 0 ? present({ ...base, extra: { cycles: acc.n } }, (100 * acc.std) / acc.mean) : missing(base, `needs at least 2 readable cycles (have ${acc.n})`));
    }
    return out;
  }
}
