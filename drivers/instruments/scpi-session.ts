// SCPI conversation with one instrument over any transport: writes, typed queries, and
// draining the error queue (`SYST:ERR?` until code 0, as PyMeasure does).

import type { Transport } from '../transport/transport.ts';
import { DriverError, InstrumentError } from './errors.ts';

/** A number as sent to an instrument: 12 significant digits, no float noise (0.1 + 0.2 → 0.3). */
export function scpiNumber(v: number): string {
  return Number(v.toPrecision(12)).toString();
}

/** Parses one SCPI numeric reply; 9.9e37 (overflow / no value) becomes NaN. */
export function parseScpiNumber(reply: string, what: string, label: string): number {
  const v = Number(reply.trim());
  if (reply.trim() === '' || !Number.isFinite(v)) throw new DriverError(`${label}: reply to ${what} is not a number: "${reply.slice(0, 80)}"`);
  return Math.abs(v) >= 9.9e37 ? NaN : v;
}

export function parseScpiNumbers(reply: string, what: string, label: string): number[] {
  if (reply.trim() === '') return [];
  return reply.split(',').map((s) => parseScpiNumber(s, what, label));
}

/** `<code>,"<text>"` → [code, text]. */
export function parseErrorReply(reply: string, label: string): [number, string] {
  const m = /^\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$/.exec(reply);
  if (!m) throw new DriverError(`${label}: unreadable reply to SYST:ERR?: "${reply.slice(0, 80)}"`);
  return [Number(m[1]), m[2]];
}

export class ScpiSession {
  /** "Keithley 2450 at TCPIP0::…::SOCKET": the name used in every message. */
  readonly label: string;

  constructor(
    readonly transport: Transport,
    model: string,
  ) {
    this.label = `${model} at ${transport.resource}`;
  }

  write(cmd: string): Promise<void> {
    return this.transport.write(cmd);
  }

  async writeAll(cmds: string[]): Promise<void> {
    for (const c of cmds) await this.transport.write(c);
  }

  query(cmd: string, timeoutMs?: number): Promise<string> {
    return this.transport.query(cmd, timeoutMs);
  }

  async queryNumber(cmd: string, timeoutMs?: number): Promise<number> {
    return parseScpiNumber(await this.query(cmd, timeoutMs), cmd, this.label);
  }

  /** Reads the error queue empty; throws InstrumentError with the instrument's own text. */
  async checkErrors(context: string): Promise<void> {
    const entries: string[] = [];
    for (let i = 0; i < 33; i++) {
      const reply = await this.query(':SYST:ERR?');
      const [code, text] = parseErrorReply(reply, this.label);
      if (code === 0) break;
      entries.push(`${code},"${text}"`);
    }
    if (entries.length) throw new InstrumentError(this.label, entries, context);
  }
}
