// Raw TCP socket transport (VISA `::SOCKET`, SCPI on port 5025): newline-terminated
// messages, a connect timeout and a per-read timeout.

import net from 'node:net';
import { DEFAULT_TIMEOUT_MS, type Transport, TransportError, timeoutText } from './transport.ts';

export interface TcpOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Write and read terminator; `\n` for SCPI instruments. */
  terminator?: string;
}

export class TcpTransport implements Transport {
  private buffer = '';
  private waiter: { resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private failure: TransportError | null = null;

  private constructor(
    readonly resource: string,
    private readonly socket: net.Socket,
    private readonly terminator: string,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
    const fail = (why: string) => {
      this.failure ??= new TransportError(`${this.resource}: ${why}`, 'closed');
      if (this.waiter) {
        clearTimeout(this.waiter.timer);
        this.waiter.reject(this.failure);
        this.waiter = null;
      }
    };
    socket.on('error', (e) => fail(`connection error (${e.message})`));
    socket.on('close', () => fail('connection closed by the instrument'));
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
        resolve(new TcpTransport(resource, socket, opts.terminator ?? '\n', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));
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

  private deliver(): void {
    if (!this.waiter) return;
    const i = this.buffer.indexOf(this.terminator);
    if (i < 0) return;
    const msg = this.buffer.slice(0, i).replace(/\r$/, '');
    this.buffer = this.buffer.slice(i + this.terminator.length);
    const w = this.waiter;
    this.waiter = null;
    clearTimeout(w.timer);
    w.resolve(msg);
  }

  async write(message: string): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) =>
      this.socket.write(message + this.terminator, (e) => (e ? reject(new TransportError(`${this.resource}: write failed (${e.message})`, 'io')) : resolve())),
    );
  }

  read(timeoutMs = this.timeoutMs): Promise<string> {
    if (this.waiter) return Promise.reject(new TransportError(`${this.resource}: a read is already pending`, 'io'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new TransportError(`${this.resource} did not answer within ${timeoutText(timeoutMs)}`, 'timeout'));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
      this.deliver();
      if (this.waiter && this.failure) {
        clearTimeout(timer);
        this.waiter = null;
        reject(this.failure);
      }
    });
  }

  async query(message: string, timeoutMs?: number): Promise<string> {
    await this.write(message);
    return this.read(timeoutMs);
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
