// Simulated Thorlabs K10CR1 speaking the APT binary protocol (the subset a rotation
// stage needs): HW_REQ_INFO → HW_GET_INFO (84 bytes), channel enable, MOVE_HOME → MOVE_HOMED,
// MOVE_ABSOLUTE / MOVE_RELATIVE → MOVE_COMPLETED (with the DC status payload), REQ_POSCOUNTER
// → GET_POSCOUNTER, MOVE_STOP → MOVE_STOPPED. Moves complete at once (virtual time).
// Unknown messages are ignored, as a controller ignores what it does not implement.

import { APT, CONTROLLER, HOST, K10CR1_COUNTS_PER_DEG, chanPosition, longMessage, parseMessage, shortMessage } from '../instruments/stage/apt-protocol.ts';
import type { SimInstrument } from './scpi-instrument.ts';

export class SimK10cr1 implements SimInstrument {
  readonly model = 'Thorlabs K10CR1';
  readonly received: string[] = [];
  private counts = 0;
  private enabled = false;
  /** Fault injection: moves never report completion (a stalled motor). */
  stalled = false;

  constructor(private readonly serial = 55_999_001) {}

  get angleDeg(): number {
    return this.counts / K10CR1_COUNTS_PER_DEG;
  }

  /** Puts the stage at an angle without a command (restoring a checkpointed bench). */
  moveToAngle(deg: number): void {
    this.counts = Math.round(deg * K10CR1_COUNTS_PER_DEG);
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  private status(id: number): string {
    const b = Buffer.alloc(14);
    b.writeUInt16LE(1, 0);
    b.writeInt32LE(this.counts, 2);
    b.writeInt16LE(0, 6);
    b.writeUInt16LE(0, 8);
    b.writeUInt32LE((0x80000000 | 0x400 | 0x100 | 0x2000) >>> 0, 10);
    return longMessage(id, b, HOST, CONTROLLER);
  }

  handleMessage(message: string): string | null {
    this.received.push(message);
    let m;
    try {
      m = parseMessage(message);
    } catch {
      return null;
    }
    if ((m.dest & 0x7f) !== CONTROLLER) return null;
    switch (m.id) {
      case APT.HW_REQ_INFO: {
        const d = Buffer.alloc(84);
        d.writeInt32LE(this.serial, 0);
        d.write('K10CR1', 4, 'latin1');
        d.writeUInt16LE(45, 12);
        d.writeUInt8(1, 14);
        d.writeUInt8(0, 15);
        d.writeUInt8(3, 16);
        d.write('NeuroProbe simulated APT rotation mount', 18, 'latin1');
        d.writeUInt16LE(1, 78);
        d.writeUInt16LE(1, 82);
        return longMessage(APT.HW_GET_INFO, d, HOST, CONTROLLER);
      }
      case APT.MOD_SET_CHANENABLESTATE:
        this.enabled = m.param2 === 0x01;
        return null;
      case APT.MOT_MOVE_HOME:
        this.counts = 0;
        return shortMessage(APT.MOT_MOVE_HOMED, 1, 0, HOST, CONTROLLER);
      case APT.MOT_MOVE_ABSOLUTE:
      case APT.MOT_MOVE_RELATIVE: {
        if (!m.data || m.data.length < 6) return null;
        const v = m.data.readInt32LE(2);
        this.counts = m.id === APT.MOT_MOVE_ABSOLUTE ? v : this.counts + v;
        return this.stalled ? null : this.status(APT.MOT_MOVE_COMPLETED);
      }
      case APT.MOT_REQ_POSCOUNTER:
        return longMessage(APT.MOT_GET_POSCOUNTER, chanPosition(1, this.counts), HOST, CONTROLLER);
      case APT.MOT_MOVE_STOP:
        return this.status(APT.MOT_MOVE_STOPPED);
      default:
        return null;
    }
  }
}
