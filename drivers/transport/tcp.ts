// Raw TCP socket transport (VISA `::SOCKET`, SCPI on port 5025): newline-terminated
// messages, a connect timeout and a per-read timeout.

import net from 'node:net';
import { type Framer, LineTransport } from './line-reader.ts';
import { DEFAULT_TIMEOUT_MS, TransportError, timeoutText } from './transport.ts';

export interface TcpOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Write and read terminator; `\n` for SCPI instruments. */
  terminator?: string;
  /** Appended to each command; '' for protocols whose commands have none (Elliptec). Default: `terminator`. */
  writeTerminator?: string;
  /** Binary protocols: cuts messages by their own framing instead of a terminator. */
  framer?: Framer;
}

export class TcpTransport extends LineTransport {
  private constructor(
    resource: string,
    private readonly socket: net.Socket,
    terminator: string,
    timeoutMs: number,
    private readonly writeTerminator: string,
    framer?: Framer,
  ) {
    super(resource, terminator, timeoutMs, framer);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.lines.feed(chunk));
    socket.on('error', (e) => this.lines.fail(new TransportError(`${resource}: connection error (${e.message})`, 'closed')));
    socket.on('close', () => this.lines.fail(new TransportError(`${resource}: connection closed by the instrument`, 'closed')));
  }

  static connect(resource: string, opts: TcpOptions): Promise<TcpTransport> {
    const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: opts.host, port: opts.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError(`${resource}: no connection to ${opts.host}:${opts.port} within ${timeoutText(connectTimeoutMs)} (is the instrument on and reachable?)`, 'timeout'));
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TcpTransport(resource, socket, opts.terminator ?? '\n', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.writeTerminator ?? opts.terminator ?? '\n', opts.framer));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why =
          e.code === 'ECONNREFUSED'
            ? `connection refused by ${opts.host}:${opts.port} (nothing listens on that port)`
            : `cannot connect to ${opts.host}:${opts.port} (${e.code ?? e.message})`;
        reject(new TransportError(`${resource}: ${why}`, e.code === 'ECONNREFUSED' ? 'refused' : 'io'));
      });
    });
  }

  async write(message: string): Promise<void> {
    if (this.lines.error) throw this.lines.error;
    await new Promise<void>((resolve, reject) =>
      this.socket.write(message + this.writeTerminator, 'latin1', (e) => (e ? reject(new TransportError(`${this.resource}: write failed (${e.message})`, 'io')) : resolve())),
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.end(() => resolve());
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 200).unref();
    });
  }
}
