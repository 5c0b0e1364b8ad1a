// What every rotation-stage driver shares: the travel check made before anything is
// sent, and the move that always finishes in the positive direction (taking out
// backlash) and is read back.

import { DriverError } from '../errors.ts';

export interface StageLimits {
  /** Allowed angles, degrees (inclusive). */
  minDeg: number;
  maxDeg: number;
}

/** The move options every stage driver takes (each has its own defaults). */
export interface StageMoveOptions {
  /** Degrees below the target the stage goes first when it must move backwards (backlash). */
  backlashDeg?: number;
  /** How long a move or homing may take before it is declared stuck, ms. */
  moveTimeoutMs?: number;
  limits?: StageLimits;
}

export function checkStageAngle(label: string, limits: StageLimits, deg: number): void {
  if (!Number.isFinite(deg) || deg < limits.minDeg || deg > limits.maxDeg) {
    throw new DriverError(`${label}: angle ${deg}° is outside the stage's allowed travel ${limits.minDeg}…${limits.maxDeg}°`);
  }
}

/** Moves to `deg` (first `backlashDeg` below it when coming from above) and returns the angle read back. */
export async function moveApproachingFromBelow(
  deg: number,
  s: { limits: StageLimits; backlashDeg: number; position(): Promise<number>; moveAbsolute(deg: number): Promise<void> },
): Promise<number> {
  const here = await s.position();
  if (deg < here - 1e-9 && s.backlashDeg > 0) await s.moveAbsolute(Math.max(s.limits.minDeg, deg - s.backlashDeg));
  await s.moveAbsolute(deg);
  return s.position();
}
