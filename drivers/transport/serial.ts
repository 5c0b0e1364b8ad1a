// Serial transport (VISA `ASRL…::INSTR`) on the serialport package: line-terminated
// messages with per-read timeouts, for RS-232/USB-serial instruments.

import { SerialPort } from 'serialport';
import { type Framer, LineTransport } from './line-reader.ts';
import { DEFAULT_TIMEOUT_MS, TransportError } from './transport.ts';

export interface SerialOptions {
  path: string;
  baudRate?: number;
  timeoutMs?: number;
  /** Reply terminator (and, unless `writeTerminator` is given, the command terminator too). */
  terminator?: string;
  /** Appended to each command; '' for protocols whose commands have none (Elliptec). */
  writeTerminator?: string;
  /** Binary protocols: cuts messages by their own framing instead of a terminator. */
  framer?: Framer;
  /** RTS/CTS hardware flow control (Thorlabs APT controllers). */
  rtscts?: boolean;
  /** XON/XOFF software flow control (Newport controllers). */
  xonxoff?: boolean;
}

export class SerialTransport extends LineTransport {
  private constructor(
    resource: string,
    private readonly port: SerialPort,
    terminator: string,
    timeoutMs: number,
    private readonly writeTerminator: string,
    framer?: Framer,
  ) {
    super(resource, terminator, timeoutMs, framer);
    port.setEncoding('latin1');
    port.on('data', (chunk: string) => this.lines.feed(chunk));
    port.on('error', (e) => this.lines.fail(new TransportError(`${resource}: serial port error (${e.message})`, 'io')));
    port.on('close', () => this.lines.fail(new TransportError(`${resource}: serial port closed`, 'closed')));
  }

  static open(resource: string, opts: SerialOptions): Promise<SerialTransport> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate ?? 9600, autoOpen: false, rtscts: opts.rtscts ?? false, xon: opts.xonxoff ?? false, xoff: opts.xonxoff ?? false });
      port.open((e) => {
        if (e) reject(new TransportError(`${resource}: cannot open serial port ${opts.path} (${e.message})`, 'io'));
        else resolve(new SerialTransport(resource, port, opts.terminator ?? '\n', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.writeTerminator ?? opts.terminator ?? '\n', opts.framer));
      });
    });
  }

  async write(message: string): Promise<void> {
    if (this.lines.error) throw this.lines.error;
    await new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(message + this.writeTerminator, 'latin1'), (e) => {
        if (e) reject(new TransportError(`${this.resource}: write failed (${e.message})`, 'io'));
        else this.port.drain(() => resolve());
      });
    });
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}
