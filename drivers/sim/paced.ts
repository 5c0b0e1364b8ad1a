// A simulated instrument's timed program (a trigger model, a list sweep) as a sequence of
// steps that advance the bench's virtual time. Unpaced, it runs to completion at once;
// paced, it advances with wall-clock time as messages arrive, so a client sees it in
// progress, can poll it and can abort it.

import { ScpiError } from '../scpi/command-tree.ts';

export class PacedProgram {
  private realTimeFactor: number | null = null;
  private running: { steps: Generator<void>; realStartMs: number; virtualStartS: number } | null = null;

  constructor(
    private readonly nowS: () => number,
    /** Where an instrument error raised by a step goes (the error queue). */
    private readonly onError: (e: ScpiError) => void,
  ) {}

  /** Virtual seconds per wall-clock second, or null to run unpaced. */
  setRealTimeFactor(factor: number | null): void {
    if (factor !== null && !(factor > 0)) throw new Error(`real-time factor must be positive, got ${factor}`);
    this.realTimeFactor = factor;
  }

  get isRunning(): boolean {
    this.catchUp();
    return this.running !== null;
  }

  start(steps: Generator<void>): void {
    if (this.realTimeFactor === null) {
      this.running = { steps, realStartMs: 0, virtualStartS: 0 };
      this.drain(Infinity);
      return;
    }
    this.running = { steps, realStartMs: Date.now(), virtualStartS: this.nowS() };
  }

  abort(): void {
    if (this.running) this.running.steps.return(undefined);
    this.running = null;
  }

  /** Brings a paced program up to the present wall-clock time (call before every message). */
  catchUp(): void {
    if (!this.running || this.realTimeFactor === null) return;
    this.drain(this.running.virtualStartS + ((Date.now() - this.running.realStartMs) / 1000) * this.realTimeFactor);
  }

  private drain(untilS: number): void {
    const r = this.running;
    if (!r) return;
    try {
      while (this.nowS() < untilS) {
        if (r.steps.next().done) {
          this.running = null;
          return;
        }
      }
    } catch (e) {
      this.running = null;
      if (e instanceof ScpiError) this.onError(e);
      else throw e;
    }
  }
}
