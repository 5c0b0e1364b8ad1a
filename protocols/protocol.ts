// What a protocol module provides. The runner knows nothing of any particular
// protocol: a new protocol is one module implementing this interface.

import type { Conditions, Metric } from '../analysis/metric.ts';
import type { BenchInstruments, BenchRole } from './bench.ts';
import type { ParamSpecs, ParamValues } from './params.ts';
import type { BenchSafety, Limits } from './station.ts';

export interface ChannelSpec {
  name: string;
  unit: string;
  description: string;
}

export interface EventRecord {
  tS: number;
  kind: string;
  data?: Record<string, number | string>;
}

/** A piece of a run's raw data: equally long arrays per channel, plus events. */
export interface DataChunk {
  channels: Record<string, number[]>;
  events?: EventRecord[];
}

export type { BenchInstruments, BenchRole } from './bench.ts';

/** A metric of what is already complete, while the run plays (NL of a finished cycle, one STDP point, …). */
export interface LivePoint {
  /** Metric key as on the card, e.g. `nl.lsq3:ltp`, `stdp.dw`. */
  key: string;
  /** Where in the run: the cycle, pulse, Δt or angle this value belongs to. */
  at: number;
  /** What `at` counts, with its unit: `cycle`, `Δt (s)`, `angle (°)`. */
  atLabel: string;
  value: number;
  unit: string;
}

export interface RunContext {
  bench: BenchInstruments;
  limits: Limits;
  signal: AbortSignal;
  data(chunk: DataChunk): void;
  progress(done: number, total: number, message: string): void;
  /**
   * Metrics of the part that is complete (shown live; the card is computed from all raw
   * data at the end). Given a function, the points are computed later, while the next
   * train plays (a fit must not hold up the instrument); the function must only read
   * data that no longer changes.
   */
  live(points: LivePoint[] | (() => LivePoint[])): void;
  /**
   * The instruments are busy playing a train for about `remainingS` more seconds: deferred
   * work (live metrics; a garbage collection when there is time for it) runs now.
   */
  whilePlaying(remainingS: number): void;
  /** A point the run can be resumed from (all data before it is complete); a requested pause waits here. */
  checkpoint(state: CheckpointState): Promise<void>;
  /** Set when this run continues an interrupted one: the state of its last checkpoint. */
  resumeFrom?: CheckpointState;
}

/** Whatever a protocol needs to continue from a checkpoint (numbers only, stored as JSON). */
export type CheckpointState = Record<string, number>;

/** A whole run's raw data as stored (what analysis sees, live or replayed). */
export interface RunData {
  channels: Record<string, ArrayLike<number>>;
}

export interface AnalysisResult {
  metrics: Metric[];
  conditions: Conditions;
}

export interface ProtocolDefinition<T extends ParamSpecs = ParamSpecs> {
  id: string;
  version: string;
  title: string;
  summary: string;
  params: T;
  channels: ChannelSpec[];
  /** Every way the parameters break the device's safety limits (checked before any instrument command). */
  safetyViolations(p: ParamValues<T>, limits: Limits, bench: BenchSafety): string[];
  /** The roles the parameters need beyond the source-meter (the runner connects these and nothing else). */
  roles(p: ParamValues<T>): BenchRole[];
  /** Throws a ParamError when the parameters cannot be played (timing, capabilities). */
  checkFeasible(p: ParamValues<T>, bench: BenchInstruments): void;
  /** Plays the protocol; may return why it ended early (e.g. a failure criterion met). */
  run(p: ParamValues<T>, ctx: RunContext): Promise<void | string>;
  /** Expected wall-clock duration on a bench whose mains runs at `lineFrequencyHz`, s (for the UI before Start). */
  estimateDurationS?(p: ParamValues<T>, lineFrequencyHz: number): number;
  analyse(data: RunData, p: ParamValues<T>): AnalysisResult;
  /**
   * Streaming analysis for runs of any length: fed every chunk as it is recorded, so the
   * runner keeps no raw data in memory. Must give what `analyse` gives on the same data.
   */
  incremental?(p: ParamValues<T>): { push(chunk: DataChunk): void; result(): AnalysisResult };
}
