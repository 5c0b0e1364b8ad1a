// Thorlabs Elliptec rotation stage (ELL14/ELL18) driver: the ASCII protocol over a
// serial line (9600 8N1, commands without terminator, replies ending CR LF). Angles in
// degrees; counts per degree come from the device's own `in` reply, never a constant.
// Every move is checked against the travel limits before anything is sent, always ends
// approaching the target from the same direction (taking out backlash), and is read
// back; a move that never reports its end fails with a clear timeout.

import { DriverError } from '../errors.ts';
import { ELLIPTEC_STATUS, fromHex32, hex32 } from './elliptec-protocol.ts';
import type { Transport } from '../../transport/transport.ts';
import type { RotationStage } from '../roles.ts';
import { type StageLimits, type StageMoveOptions, checkStageAngle, moveApproachingFromBelow } from './stage-moves.ts';

export interface ElliptecInfo {
  motorType: number;
  serial: string;
  year: string;
  firmware: string;
  travelDeg: number;
  pulsesPerTravel: number;
}

export interface ElliptecOptions extends StageMoveOptions {
  address?: string;
}

export function parseInfo(reply: string, label: string): ElliptecInfo {
  const m = /^[0-9A-F]IN([0-9A-F]{2})([0-9A-F]{8})(\d{4})([0-9A-F]{2})([0-9A-F]{2})([0-9A-F]{4})([0-9A-F]{8})$/i.exec(reply.trim());
  if (!m) throw new DriverError(`${label}: "in" answered "${reply}", not an Elliptec information reply`);
  const info = { motorType: parseInt(m[1], 16), serial: m[2], year: m[3], firmware: m[4], travelDeg: parseInt(m[6], 16), pulsesPerTravel: fromHex32(m[7]) };
  if (!(info.pulsesPerTravel > 0) || !(info.travelDeg > 0)) throw new DriverError(`${label}: "in" reports travel ${info.travelDeg} and ${info.pulsesPerTravel} pulses; cannot convert angles`);
  return info;
}

export class ElliptecStage implements RotationStage {
  readonly role = 'rotation-stage' as const;
  readonly model = 'Thorlabs Elliptec';
  private info: ElliptecInfo | null = null;
  private readonly address: string;
  private readonly backlashDeg: number;
  private readonly moveTimeoutMs: number;
  private readonly limits: StageLimits;

  constructor(
    private readonly transport: Transport,
    opts: ElliptecOptions = {},
  ) {
    this.address = (opts.address ?? '0').toUpperCase();
    if (!/^[0-9A-F]$/.test(this.address)) throw new DriverError(`Elliptec address "${opts.address}" is not one hex digit 0–F`);
    this.backlashDeg = opts.backlashDeg ?? 2;
    this.moveTimeoutMs = opts.moveTimeoutMs ?? 10_000;
    this.limits = opts.limits ?? { minDeg: 0, maxDeg: 360 };
  }

  get label(): string {
    return `Thorlabs Elliptec stage ${this.address} at ${this.transport.resource}`;
  }

  private async ask(command: string, timeoutMs?: number): Promise<string> {
    const reply = (await this.transport.query(`${this.address}${command}`, timeoutMs)).trim();
    if (reply[0]?.toUpperCase() !== this.address) throw new DriverError(`${this.label}: reply "${reply}" comes from address ${reply[0] ?? '(none)'}`);
    return reply;
  }

  /** A reply that should report the position: PO, or a GS status naming the error. */
  private positionFrom(reply: string, what: string): number {
    const code = reply.slice(1, 3).toUpperCase();
    if (code === 'PO' && /^[0-9A-F]{8}$/i.test(reply.slice(3))) return this.toDeg(fromHex32(reply.slice(3)));
    if (code === 'GS') {
      const s = parseInt(reply.slice(3), 16);
      throw new DriverError(`${this.label}: ${what} failed: status ${s} (${ELLIPTEC_STATUS[s] ?? 'unknown'})`);
    }
    throw new DriverError(`${this.label}: ${what}: unexpected reply "${reply}"`);
  }

  private toDeg(counts: number): number {
    const i = this.requireInfo();
    return (counts / i.pulsesPerTravel) * i.travelDeg;
  }

  private toCounts(deg: number): number {
    const i = this.requireInfo();
    return Math.round((deg / i.travelDeg) * i.pulsesPerTravel);
  }

  private requireInfo(): ElliptecInfo {
    if (!this.info) throw new DriverError(`${this.label}: identify() first (counts per degree come from the device)`);
    return this.info;
  }

  /** Asks `in`; returns the device's description (type, serial, travel, pulses per travel). */
  async identify(): Promise<string> {
    this.info = parseInfo(await this.ask('in'), this.label);
    const i = this.info;
    return `Thorlabs,ELL${i.motorType},${i.serial},${i.firmware}`;
  }

  get deviceInfo(): ElliptecInfo | null {
    return this.info;
  }

  /** Status code (0 = OK); reading it also clears a pending error. */
  async status(): Promise<number> {
    const r = await this.ask('gs');
    if (!/^[0-9A-F]GS[0-9A-F]{2}$/i.test(r)) throw new DriverError(`${this.label}: "gs" answered "${r}"`);
    return parseInt(r.slice(3), 16);
  }

  async home(direction: 'cw' | 'ccw' = 'cw'): Promise<number> {
    return this.positionFrom(await this.ask(`ho${direction === 'cw' ? '0' : '1'}`, this.moveTimeoutMs), 'homing');
  }

  async position(): Promise<number> {
    return this.positionFrom(await this.ask('gp'), 'reading the position');
  }

  /** Refuses an angle outside the limits (before any command). */
  checkAngle(deg: number): void {
    checkStageAngle(this.label, this.limits, deg);
  }

  /**
   * Moves to an absolute angle, always finishing in the positive direction (when the
   * target is below the present angle the stage first goes `backlashDeg` below it), and
   * returns the angle read back after the move.
   */
  async moveTo(deg: number): Promise<number> {
    this.checkAngle(deg);
    return moveApproachingFromBelow(deg, { limits: this.limits, backlashDeg: this.backlashDeg, position: () => this.position(), moveAbsolute: (d) => this.moveAbsolute(d) });
  }

  private async moveAbsolute(deg: number): Promise<void> {
    let reply: string;
    try {
      reply = await this.ask(`ma${hex32(this.toCounts(deg))}`, this.moveTimeoutMs);
    } catch (e) {
      if ((e as { kind?: string }).kind === 'timeout') throw new DriverError(`${this.label}: the move to ${deg}° did not report its end within ${this.moveTimeoutMs / 1000} s (stuck or disconnected stage)`);
      throw e;
    }
    this.positionFrom(reply, `moving to ${deg}°`);
  }

  /** Homing gives every run the same reference angle. */
  async reset(): Promise<void> {
    await this.home('cw');
  }

  /** Stops any motion (`st`; unconfirmed: its reply is a GS status) and confirms the stage answers. */
  async safeOff(): Promise<void> {
    const r = await this.ask('st');
    if (!/^[0-9A-F]GS[0-9A-F]{2}$/i.test(r) && !/^[0-9A-F]PO/i.test(r)) throw new DriverError(`${this.label}: "st" answered "${r}"`);
  }

  async settings(): Promise<Record<string, number | string>> {
    const i = this.requireInfo();
    return { serial: i.serial, firmware: i.firmware, travel_deg: i.travelDeg, pulses_per_travel: i.pulsesPerTravel, position_deg: await this.position(), backlash_deg: this.backlashDeg };
  }

  /** A stage has no output to leave on; its position, by query. */
  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    if (!this.info) await this.identify();
    return { anyOn: false, text: `at ${(await this.position()).toFixed(2)}°` };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
