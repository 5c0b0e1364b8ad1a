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

  async reset(): Promise<void> {
    await this.scpi.writeAll(['*RST', '*CLS']);
    await this.scpi.checkErrors('after reset');
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
