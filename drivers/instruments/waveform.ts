// Hardware-timed waveform programs: what a protocol asks an instrument to play as one
// train, compiled by each driver into the instrument's own timed mechanism. Segments
// are levels held for a duration; a measuring segment measures at its end (the
// measurement then integrates for the instrument's aperture at the same level).

export interface Segment {
  /** Level the source-meter forces during the segment, V. */
  levelV: number;
  /** Hold time before any measurement, s. */
  durationS: number;
  measure?: boolean;
  /** Fire the trigger output (to the pulse generator) at the start of the segment. */
  triggerOut?: boolean;
}

export interface TrainProgram {
  /** Played once, first (e.g. the read before the first pulse). */
  prologue: Segment[];
  /** Played `repeat` times after the prologue. */
  unit: Segment[];
  repeat: number;
  /** Played once, last (e.g. reads at growing times after programming). */
  epilogue?: Segment[];
  /** Current limit (compliance) for the whole train, A. */
  limitA: number;
  /** Integration time in power-line cycles. */
  nplc: number;
  /** Fixed current measure range, A; autorange when absent. */
  measureRangeA?: number;
}

export interface TrainReadings {
  /** Measured current of every measuring segment, in order, A (NaN on overflow). */
  currentA: number[];
  /** Voltage at the terminal during each measurement, V. */
  voltageV: number[];
  /** Time of each measurement relative to the first one, s (instrument clock). */
  timeS: number[];
  /** The first measurement's time on the instrument's own clock, s (chains trains without host timing). */
  firstReadClockS?: number;
}

export function measurementsIn(p: TrainProgram): number {
  const m = (s: Segment[]) => s.filter((x) => x.measure).length;
  return m(p.prologue) + p.repeat * m(p.unit) + m(p.epilogue ?? []);
}

export function programDurationS(p: TrainProgram, apertureS: number): number {
  const d = (s: Segment[]) => s.reduce((t, x) => t + x.durationS + (x.measure ? apertureS : 0), 0);
  return d(p.prologue) + p.repeat * d(p.unit) + d(p.epilogue ?? []);
}

/** Every distinct segment of the program, in order: prologue, unit (once), epilogue. */
export function programSegments(p: TrainProgram): Segment[] {
  return [...p.prologue, ...p.unit, ...(p.epilogue ?? [])];
}

export function programLevels(p: TrainProgram): number[] {
  return programSegments(p).map((s) => s.levelV);
}
