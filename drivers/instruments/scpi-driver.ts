// What every SCPI instrument driver shares: its session, its label in messages, the
// *IDN? check, reset with the error queue read empty, and closing the transport.

import type { Transport } from '../transport/transport.ts';
import { DriverError } from './errors.ts';
import { ScpiSession } from './scpi-session.ts';

export abstract class ScpiDriver {
  abstract readonly model: string;
  private session: ScpiSession | null = null;

  constructor(private readonly transport: Transport) {}

  protected get scpi(): ScpiSession {
    this.session ??= new ScpiSession(this.transport, this.model);
    return this.session;
  }

  get label(): string {
    return this.scpi.label;
  }

  /** Asks *IDN? and refuses an instrument that is not the expected model. */
  protected async checkIdn(pattern: RegExp, expected: string): Promise<string> {
    const idn = await this.scpi.query('*IDN?');
    if (!pattern.test(idn)) throw new DriverError(`${this.label}: *IDN? answered "${idn}", which is not ${expected}`);
    return idn.trim();
  }

  /** Firmware, serial number and installed options (*IDN?, *OPT?); drivers add their own settings. */
  async settings(): Promise<Record<string, number | string>> {
    const idn = (await this.scpi.query('*IDN?')).split(',').map((s) => s.trim());
    return { firmware: idn[3] ?? '', serial: idn[2] ?? '', options: (await this.scpi.query('*OPT?')).trim() };
  }

  /** Reads the error queue empty and returns what was in it (`code,"text"` per entry). */
  async errorQueue(): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < 33; i++) {
      const r = (await this.scpi.query(':SYST:ERR?')).trim();
      if (/^[+]?0\s*,/.test(r)) break;
      out.push(r);
    }
    return out;
  }

  async reset(): Promise<void> {
    await this.scpi.writeAll(['*RST', '*CLS']);
    await this.scpi.checkErrors('after reset');
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
