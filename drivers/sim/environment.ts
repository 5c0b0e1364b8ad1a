// What a simulated instrument sees of the bench it is wired into: virtual time that
// advances while its output drives the device, the device's response, and the trigger
// lines between instruments. The bench implements it; instruments never see the DUT.

export interface SmuDrive {
  on: boolean;
  levelV: number;
  limitA: number;
}

export interface BenchEnvironment {
  nowS(): number;
  /** Lets dt seconds pass with every output driving the device as it is now set. */
  advance(dtS: number): void;
  /** Current through the device terminal while the SMU forces its present drive. */
  smuCurrentA(): { currentA: number; voltageV: number; inCompliance: boolean };
  /** A trigger edge leaves the SMU's digital I/O line `line`. */
  smuDigitalOut(line: number): void;
}

export interface GeneratedPulse {
  /** Generator channel that plays it (1-based). */
  channel: number;
  startS: number;
  endS: number;
  levelV: number;
}
