// Simulated Newport CONEX-AGP with an AG-PR100P rotation stage: `<address><command>[arg]`
// lines, replies only to queries (`ID?`, `VE?`, `TP?`, `TH?`, `TS?`, `TE?`, `SL?`, `SR?`),
// not referenced after power-up (state 0A) until `OR`; moves complete at once (virtual
// time) and leave state 33; a move before homing or beyond the limits leaves error code
// 'H' or 'C' for `TE?` (letters as SMC100 documents them; unconfirmed for the AGP).

import type { SimInstrument } from './scpi-instrument.ts';

export class SimConexAgp implements SimInstrument {
  readonly model = 'Newport CONEX-AGP';
  readonly received: string[] = [];
  private pos = 0;
  private st = '0A';
  private err = '@';
  readonly minDeg = -1000;
  readonly maxDeg = 1000;

  constructor(private readonly address = '01') {}

  get angleDeg(): number {
    return this.pos;
  }

  moveToAngle(deg: number): void {
    this.pos = deg;
  }

  handleMessage(message: string): string | null {
    this.received.push(message);
    const m = /^(\d{1,2})([A-Za-z]{2})(.*)$/.exec(message.trim());
    if (!m || m[1].padStart(2, '0') !== this.address) return null;
    const [cmd, arg] = [m[2].toUpperCase(), m[3].trim()];
    const reply = (v: string | number) => `${this.address}${cmd}${v}`;
    if (arg === '?') {
      switch (cmd) {
        case 'ID':
          return reply('AG-PR100P_NPSIM_01');
        case 'VE':
          return reply('CONEX-AGP 2.0.0 (NeuroProbe simulator)');
        case 'TP':
        case 'TH':
          return reply(this.pos.toFixed(6));
        case 'TS':
          return reply(`0000${this.st}`);
        case 'TE': {
          const e = this.err;
          this.err = '@';
          return reply(e);
        }
        case 'SL':
          return reply(this.minDeg);
        case 'SR':
          return reply(this.maxDeg);
        default:
          this.err = 'A';
          return null;
      }
    }
    switch (cmd) {
      case 'OR':
        this.pos = 0;
        this.st = '32';
        return null;
      case 'PA':
      case 'PR': {
        const v = Number(arg);
        if (!Number.isFinite(v)) this.err = 'A';
        else if (!['32', '33', '34'].includes(this.st)) this.err = 'H';
        else {
          const target = cmd === 'PA' ? v : this.pos + v;
          if (target < this.minDeg || target > this.maxDeg) this.err = 'C';
          else {
            this.pos = target;
            this.st = '33';
          }
        }
        return null;
      }
      case 'ST':
        if (this.st === '28') this.st = '33';
        return null;
      case 'RS':
        this.st = '0A';
        return null;
      default:
        this.err = 'A';
        return null;
    }
  }
}
