// Simulated Thorlabs Elliptec ELL14 rotation stage speaking the Elliptec ASCII protocol
// (one-character hex address, two-letter lower-case command, 8-hex-digit 32-bit two's
// complement numbers; replies upper case, the server ends them with CR LF). Commands
// carry no terminator, so a byte stream is cut by each command's known length.
// Facts from the Elliptec protocol as read in public drivers (roesel/elliptec and
// pyLabLib): the `in` reply layout, the status codes, `ma`/`mr`/`ho`/`gp` replies.
// Unconfirmed (no vendor manual here): the pulse count per revolution of a real ELL14
// (always read from `in`; this simulator reports 143 360, a synthetic value), the move
// speed, that `ho` takes a direction digit on rotary stages, and that `st` (stop) answers
// with a GS status.

import type { SimInstrument } from './scpi-instrument.ts';
import { fromHex32, hex32 } from '../instruments/stage/elliptec-protocol.ts';



export class SimElliptec implements SimInstrument {
  readonly model = 'Thorlabs ELL14';
  readonly received: string[] = [];
  /** Pulses per full travel (synthetic; a real device reports its own in `in`). */
  readonly pulsesPerTravel = 143_360;
  readonly travelDeg = 360;
  private counts = 0;
  private homed = false;
  private pendingStatus = 0;
  private jogCounts = 0;
  /** Fault injection: commands matching this never get an answer (a stuck motor: /ma/; a pulled cable: /./). */
  silentFor: RegExp | null = null;

  constructor(
    readonly address = '0',
    private readonly serial = '11400999',
  ) {}

  get angleDeg(): number {
    return (this.counts / this.pulsesPerTravel) * this.travelDeg;
  }

  /** Puts the stage at an angle without a command (restoring a checkpointed simulated bench). */
  moveToAngle(deg: number): void {
    this.counts = Math.round((deg / this.travelDeg) * this.pulsesPerTravel);
  }

  get isHomed(): boolean {
    return this.homed;
  }

  private reply(code: string, data: string): string {
    return `${this.address}${code}${data}`;
  }

  private position(): string {
    return this.reply('PO', hex32(this.counts));
  }

  handleMessage(message: string): string | null {
    this.received.push(message);
    if (this.silentFor?.test(message)) return null;
    const addr = message[0]?.toUpperCase();
    if (addr !== this.address.toUpperCase()) return null; // another device on the bus
    const code = message.slice(1, 3);
    const data = message.slice(3);
    const wrap = (c: number) => ((c % this.pulsesPerTravel) + this.pulsesPerTravel) % this.pulsesPerTravel;
    switch (code) {
      case 'in':
        // type 0E (ELL14), serial, year, firmware, thread/hardware, travel (hex), pulses per travel (hex).
        return this.reply('IN', `0E${this.serial}2026` + '17' + '01' + this.travelDeg.toString(16).toUpperCase().padStart(4, '0') + hex32(this.pulsesPerTravel));
      case 'gs': {
        const s = this.pendingStatus;
        this.pendingStatus = 0;
        return this.reply('GS', s.toString(16).toUpperCase().padStart(2, '0'));
      }
      case 'gp':
        return this.position();
      case 'ho':
        if (data !== '0' && data !== '1') return this.error(3);
        this.counts = 0;
        this.homed = true;
        return this.position();
      case 'ma':
      case 'mr': {
        if (!/^[0-9A-Fa-f]{8}$/.test(data)) return this.error(3);
        const v = fromHex32(data);
        if (Math.abs(v) > 4 * this.pulsesPerTravel) return this.error(4);
        this.counts = wrap(code === 'ma' ? v : this.counts + v);
        return this.position();
      }
      case 'sj':
        if (!/^[0-9A-Fa-f]{8}$/.test(data)) return this.error(3);
        this.jogCounts = fromHex32(data);
        return this.reply('GS', '00');
      case 'gj':
        return this.reply('GJ', hex32(this.jogCounts));
      case 'fw':
      case 'bw':
        this.counts = wrap(this.counts + (code === 'fw' ? 1 : -1) * this.jogCounts);
        return this.position();
      case 'go':
        return this.reply('HO', hex32(0));
      case 'gv':
        return this.reply('GV', '32');
      case 'st':
        // Moves complete within one command here, so there is never motion to stop.
        return this.reply('GS', '00');
      default:
        return this.error(3);
    }
  }

  private error(code: number): string {
    this.pendingStatus = code;
    return this.reply('GS', code.toString(16).toUpperCase().padStart(2, '0'));
  }
}
