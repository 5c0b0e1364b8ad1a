// Thorlabs K10CR1 motorised rotation mount (RotationStage role) over the APT binary
// protocol: 115200 8N1 with RTS/CTS. Identify with HW_REQ_INFO (the serial number starts
// with 55 for a K10CR1), enable channel 1, home with MOT_MOVE_HOME → MOT_MOVE_HOMED, move
// with MOT_MOVE_ABSOLUTE → MOT_MOVE_COMPLETED, read back MOT_REQ_POSCOUNTER →
// MOT_GET_POSCOUNTER; 409600/3 counts per degree. Moves finish in the positive direction
// (backlash) and an angle outside the allowed travel is refused before anything is sent.
// Messages the controller may send on its own (status updates) are skipped while a
// reply is awaited; HW_RESPONSE / HW_RICHRESPONSE (errors) end the wait with their code.
// Facts from instruments.md §3.2 (pyLabLib, yaq, InstrumentKit); unconfirmed against the
// vendor's APT protocol manual here: the RTS pulse pyLabLib does on open is not done.

import { DriverError } from '../errors.ts';
import type { RotationStage } from '../roles.ts';
import type { Transport } from '../../transport/transport.ts';
import { APT, type AptMessage, K10CR1_COUNTS_PER_DEG, chanPosition, longMessage, parseMessage, shortMessage } from './apt-protocol.ts';
import { type StageLimits, type StageMoveOptions, checkStageAngle, moveApproachingFromBelow } from './stage-moves.ts';

const CHANNEL = 1;

export class K10cr1Stage implements RotationStage {
  readonly role = 'rotation-stage' as const;
  readonly model = 'Thorlabs K10CR1';
  private readonly backlashDeg: number;
  private readonly moveTimeoutMs: number;
  private readonly limits: StageLimits;
  serial: number | null = null;

  constructor(
    private readonly transport: Transport,
    opts: StageMoveOptions = {},
  ) {
    this.backlashDeg = opts.backlashDeg ?? 1;
    this.moveTimeoutMs = opts.moveTimeoutMs ?? 30_000;
    this.limits = opts.limits ?? { minDeg: 0, maxDeg: 360 };
  }

  get label(): string {
    return `Thorlabs K10CR1 at ${this.transport.resource}`;
  }

  /** Reads messages until one with this id arrives; errors and the timeout end the wait clearly. */
  private async awaitMessage(id: number, timeoutMs: number, what: string): Promise<AptMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new DriverError(`${this.label}: ${what}: no reply within ${timeoutMs / 1000} s`);
      let raw: string;
      try {
        raw = await this.transport.read(left);
      } catch (e) {
        if ((e as { kind?: string }).kind === 'timeout') throw new DriverError(`${this.label}: ${what}: no reply within ${timeoutMs / 1000} s (stuck or disconnected stage)`);
        throw e;
      }
      let m: AptMessage;
      try {
        m = parseMessage(raw);
      } catch (e) {
        throw new DriverError(`${this.label}: ${what}: ${(e as Error).message}`);
      }
      if (m.id === APT.HW_RESPONSE || m.id === APT.HW_RICHRESPONSE) {
        const code = m.data && m.data.length >= 4 ? m.data.readUInt16LE(2) : (m.param1 ?? 0);
        throw new DriverError(`${this.label}: ${what}: the controller reported error ${code}`);
      }
      if (m.id === id) return m;
    }
  }

  private positionOf(m: AptMessage, what: string): number {
    if (!m.data || m.data.length < 6) throw new DriverError(`${this.label}: ${what}: reply 0x${m.id.toString(16)} carries no position`);
    return m.data.readInt32LE(2) / K10CR1_COUNTS_PER_DEG;
  }

  async identify(): Promise<string> {
    await this.transport.write(shortMessage(APT.HW_REQ_INFO, 0, 0));
    const m = await this.awaitMessage(APT.HW_GET_INFO, 3000, 'HW_REQ_INFO');
    if (!m.data || m.data.length < 84) throw new DriverError(`${this.label}: HW_GET_INFO carried ${m.data?.length ?? 0} bytes, expected 84`);
    const serial = m.data.readInt32LE(0);
    const model = m.data.subarray(4, 12).toString('latin1').replace(/\0+$/, '');
    if (!String(serial).startsWith('55') && !/K10CR1/i.test(model)) throw new DriverError(`${this.label}: HW_GET_INFO names model "${model}", serial ${serial}: not a K10CR1 (serials start 55)`);
    this.serial = serial;
    const fw = `${m.data[16]}.${m.data[15]}.${m.data[14]}`;
    return `Thorlabs,${model || 'K10CR1'},${serial},${fw}`;
  }

  async reset(): Promise<void> {
    await this.transport.write(shortMessage(APT.MOD_SET_CHANENABLESTATE, CHANNEL, 0x01));
    await this.transport.write(shortMessage(APT.MOT_MOVE_HOME, CHANNEL, 0));
    await this.awaitMessage(APT.MOT_MOVE_HOMED, this.moveTimeoutMs, 'homing');
  }

  checkAngle(deg: number): void {
    checkStageAngle(this.label, this.limits, deg);
  }

  async position(): Promise<number> {
    await this.transport.write(shortMessage(APT.MOT_REQ_POSCOUNTER, CHANNEL, 0));
    return this.positionOf(await this.awaitMessage(APT.MOT_GET_POSCOUNTER, 3000, 'reading the position'), 'reading the position');
  }

  private async moveAbsolute(deg: number): Promise<void> {
    await this.transport.write(longMessage(APT.MOT_MOVE_ABSOLUTE, chanPosition(CHANNEL, deg * K10CR1_COUNTS_PER_DEG)));
    await this.awaitMessage(APT.MOT_MOVE_COMPLETED, this.moveTimeoutMs, `moving to ${deg}°`);
  }

  async moveTo(deg: number): Promise<number> {
    this.checkAngle(deg);
    return moveApproachingFromBelow(deg, { limits: this.limits, backlashDeg: this.backlashDeg, position: () => this.position(), moveAbsolute: (d) => this.moveAbsolute(d) });
  }

  /** MOT_MOVE_STOP (immediate), then a position read proves the controller answers. */
  async safeOff(): Promise<void> {
    await this.transport.write(shortMessage(APT.MOT_MOVE_STOP, CHANNEL, 0x01));
    await this.position();
  }

  async settings(): Promise<Record<string, number | string>> {
    return { serial: this.serial ?? '', counts_per_deg: K10CR1_COUNTS_PER_DEG, position_deg: await this.position(), backlash_deg: this.backlashDeg };
  }

  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    return { anyOn: false, text: `at ${(await this.position()).toFixed(3)}°` };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
