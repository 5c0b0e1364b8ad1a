// Instrument roles. Drivers declare what they can do and refuse settings outside it
// before anything is sent; protocols choose what to do with them.

import type { TrainProgram, TrainReadings } from './waveform.ts';

export interface SmuCapabilities {
  maxAbsVoltageV: number;
  maxAbsCurrentA: number;
  minLimitA: number;
  nplcRange: [number, number];
  /** Shortest segment the timed mechanism plays reliably, s. */
  minSegmentS: number;
  /** Blocks of the timed mechanism (the 2450's trigger model) one train may use. */
  maxTriggerBlocks?: number;
  /** Points of one list sweep (list-sweep SMUs: a train plays as sweeps of equal-length points). */
  maxListPoints?: number;
  maxReadings: number;
  lineFrequencyHz: number;
}

/** Progress of a playing train: readings in, readings expected, seconds it should still play. */
export type OnReadings = (have: number, expected: number, remainingS: number) => void;

export interface SourceMeter {
  readonly role: 'source-meter';
  readonly model: string;
  readonly label: string;
  readonly capabilities: SmuCapabilities;
  identify(): Promise<string>;
  reset(): Promise<void>;
  /** Throws a DriverError naming the setting when the program does not fit the instrument. */
  validateTrain(p: TrainProgram): void;
  /**
   * Plays the whole train as one hardware-timed program and returns its readings;
   * `onReadings` hears how many readings are in while it plays (long trains), and how
   * long the train should still play, s (from its programmed duration).
   */
  runTrain(p: TrainProgram, signal?: AbortSignal, onReadings?: OnReadings): Promise<TrainReadings>;
  /** Source to 0 V, output off; never throws for a reachable instrument. */
  safeOff(): Promise<void>;
  /** The output state, by query only (station checks). */
  describeOutputs(): Promise<{ anyOn: boolean; text: string }>;
  /** What shapes a measurement, read back from the instrument (stored with each run). */
  settings?(): Promise<Record<string, number | string>>;
  /** Reads the error queue empty and returns what it held (SCPI instruments). */
  errorQueue?(): Promise<string[]>;
  close(): Promise<void>;
}

export interface PulseGenCapabilities {
  channels: number;
  maxAbsLevelV: number;
  minAmplitudeV: number;
  widthRangeS: [number, number];
  periodRangeS: [number, number];
  maxBurstCount: number;
}

export interface PulseSetup {
  channel: number;
  /** Pulse level relative to ground, V (negative for depression pulses). */
  amplitudeV: number;
  widthS: number;
  periodS: number;
  /** Pulses per trigger. */
  count: number;
  /** `external`: each edge on Ext Trig fires a burst; `bus`: `*TRG` does. */
  trigger: 'external' | 'bus';
}

/** An arbitrary waveform played once per trigger, sample and hold. */
export interface ArbitrarySetup {
  channel: number;
  /** Waveform points, V (the first and last are the level between triggers). */
  samplesV: number[];
  /** Points per second. */
  sampleRateSa: number;
  trigger: 'external' | 'bus';
}

export interface PulseGenerator {
  readonly role: 'pulse-generator';
  readonly model: string;
  readonly label: string;
  readonly capabilities: PulseGenCapabilities;
  identify(): Promise<string>;
  reset(): Promise<void>;
  validatePulses(s: PulseSetup): void;
  /** Configures a triggered burst and switches the channel output on. */
  armPulses(s: PulseSetup): Promise<void>;
  /** Bus trigger (`*TRG`). */
  trigger(): Promise<void>;
  /** Arbitrary waveforms, where the model plays them (absent: it cannot). Throws a DriverError naming what does not fit. */
  validateArbitrary?(s: ArbitrarySetup): void;
  armArbitrary?(s: ArbitrarySetup): Promise<void>;
  safeOff(): Promise<void>;
  /** The outputs' states, by query only (station checks). */
  describeOutputs(): Promise<{ anyOn: boolean; text: string }>;
  settings?(): Promise<Record<string, number | string>>;
  /** Reads the error queue empty and returns what it held (SCPI instruments). */
  errorQueue?(): Promise<string[]>;
  close(): Promise<void>;
}

export interface RotationStage {
  readonly role: 'rotation-stage';
  readonly model: string;
  readonly label: string;
  identify(): Promise<string>;
  /** Homes the stage (a defined reference before any move). */
  reset(): Promise<void>;
  /** Throws a DriverError when the angle is outside the allowed travel (before any command). */
  checkAngle(deg: number): void;
  /** Moves (taking out backlash) and returns the angle read back, degrees. */
  moveTo(deg: number): Promise<number>;
  position(): Promise<number>;
  /** Stops any motion; never throws for a reachable stage. */
  safeOff(): Promise<void>;
  describeOutputs(): Promise<{ anyOn: boolean; text: string }>;
  settings?(): Promise<Record<string, number | string>>;
  /** Reads the error queue empty and returns what it held (SCPI instruments). */
  errorQueue?(): Promise<string[]>;
  close(): Promise<void>;
}

export interface ScopeCapabilities {
  channels: number;
  /** Largest record the driver asks for, points. */
  maxPoints: number;
  /** Vertical scale range per division, V. */
  scaleRangeV: [number, number];
  /** Horizontal scale range per division, s. */
  timeScaleRangeS: [number, number];
  /** Bits of real resolution behind the WORD data (the ADC). */
  adcBits: number;
}

export interface ScopeChannelSetup {
  channel: number;
  /** Volts per division (8 divisions span the screen). */
  scaleV: number;
  /** Voltage at the screen centre, V. */
  offsetV: number;
}

export interface ScopeSetup {
  /** Seconds per division (10 divisions span the record). */
  timeScaleS: number;
  /** Time of the record's left edge relative to the trigger, s (negative: pre-trigger). */
  startS: number;
  channels: ScopeChannelSetup[];
  /** Edge trigger on the rear EXT input (the SMU's digital line), rising, at this level. */
  triggerLevelV: number;
  points: number;
}

export interface ScopeRecord {
  /** Sample times relative to the trigger, s. */
  timeS: number[];
  /** Volts per requested channel, in the order asked. */
  volts: number[][];
}

export interface Oscilloscope {
  readonly role: 'oscilloscope';
  readonly model: string;
  readonly label: string;
  readonly capabilities: ScopeCapabilities;
  identify(): Promise<string>;
  reset(): Promise<void>;
  /** Throws a DriverError naming the setting the scope cannot take (before anything is sent). */
  validate(s: ScopeSetup): void;
  configure(s: ScopeSetup): Promise<void>;
  /** Arms one acquisition (single shot). */
  arm(): Promise<void>;
  /** Waits for the armed acquisition to complete and reads the channels. */
  fetch(channels: number[], timeoutMs: number, signal?: AbortSignal): Promise<ScopeRecord>;
  /** Stops acquiring (a scope drives nothing; this leaves it idle). */
  safeOff(): Promise<void>;
  describeOutputs(): Promise<{ anyOn: boolean; text: string }>;
  settings?(): Promise<Record<string, number | string>>;
  /** Reads the error queue empty and returns what it held (SCPI instruments). */
  errorQueue?(): Promise<string[]>;
  close(): Promise<void>;
}

/** Every instrument model a station may name, with its role and wire framing. */
export type Instrument = SourceMeter | PulseGenerator | RotationStage | Oscilloscope;

/** What a station instrument does on the bench. */
export type InstrumentRole = Instrument['role'];

