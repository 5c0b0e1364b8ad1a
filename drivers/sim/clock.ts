// Virtual time of the simulated bench. Instruments advance it by the durations they
// would take on real hardware, so a long protocol runs as fast as the host computes.

export class VirtualClock {
  private t = 0;
  get nowS(): number {
    return this.t;
  }
  /** Continues from a saved time (a resumed simulated run). */
  restore(tS: number): void {
    if (!(tS >= 0)) throw new Error(`virtual clock cannot be set to ${tS} s`);
    this.t = tS;
  }
  advance(dtS: number): void {
    if (!(dtS >= 0)) throw new Error(`virtual clock cannot advance by ${dtS} s`);
    this.t += dtS;
  }
}
