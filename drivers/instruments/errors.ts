// Errors a user can act on: which instrument, which setting, what value, what is allowed.

import type { TrainReadings } from './waveform.ts';

export class DriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverError';
  }
}

/** The instrument's own error queue reported something. */
export class InstrumentError extends DriverError {
  constructor(
    readonly instrument: string,
    readonly entries: string[],
    context: string,
  ) {
    super(`${instrument} reported ${entries.length === 1 ? 'an error' : `${entries.length} errors`} ${context}: ${entries.join('; ')}`);
    this.name = 'InstrumentError';
  }
}

export class AbortedError extends Error {
  constructor(
    what = 'operation',
    /** What was measured before the abort, when the instrument could still be read. */
    readonly partial?: TrainReadings,
  ) {
    super(`${what} aborted`);
    this.name = 'AbortedError';
  }
}

export function checkRange(instrument: string, setting: string, value: number, min: number, max: number, unit: string): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new DriverError(`${instrument}: ${setting} ${value} ${unit} is outside what it supports (${min} to ${max} ${unit})`);
  }
}
