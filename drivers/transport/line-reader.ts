// Message framing shared by the byte-stream transports (TCP, serial): incoming bytes are
// buffered and cut at the terminator; one read waits at a time, with a timeout; once the
// stream fails, every read fails with that error. Bytes are kept one per character
// (latin1), and a reply that opens with an IEEE 488.2 definite-length block header
// (#<n><length>) ends after its declared length, so binary data may contain the
// terminator byte (waveforms as WORD blocks).

import { type Transport, TransportError, timeoutText } from './transport.ts';

/** Length of the first complete message of a byte string, -1 while incomplete; throws for a garbled stream. For binary protocols without a terminator. */
export type Framer = (buffer: string) => number;

export class LineReader {
  private buffer = '';
  private waiter: { resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private failure: TransportError | null = null;

  constructor(
    private readonly resource: string,
    private readonly terminator: string,
    private readonly framer?: Framer,
  ) {}

  get error(): TransportError | null {
    return this.failure;
  }

  feed(chunk: string): void {
    this.buffer += chunk;
    this.deliver();
  }

  fail(err: TransportError): void {
    this.failure ??= err;
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.reject(this.failure);
      this.waiter = null;
    }
  }

  /** Where the message at the start of the buffer ends (its terminator's index), or -1 while incomplete. */
  private messageEnd(): number {
    const m = /^#([1-9])/.exec(this.buffer);
    if (m) {
      const digits = Number(m[1]);
      if (this.buffer.length < 2 + digits) return -1;
      const len = Number(this.buffer.slice(2, 2 + digits));
      if (Number.isInteger(len)) {
        const end = 2 + digits + len;
        if (this.buffer.length < end) return -1;
        return this.buffer.indexOf(this.terminator, end);
      }
    }
    return this.buffer.indexOf(this.terminator);
  }

  private deliver(): void {
    if (!this.waiter) return;
    let msg: string;
    if (this.framer) {
      let n: number;
      try {
        n = this.framer(this.buffer);
      } catch (e) {
        this.buffer = '';
        this.fail(new TransportError(`${this.resource}: ${(e as Error).message}`, 'io'));
        return;
      }
      if (n < 0) return;
      msg = this.buffer.slice(0, n);
      this.buffer = this.buffer.slice(n);
    } else {
      const i = this.messageEnd();
      if (i < 0) return;
      msg = this.buffer.slice(0, i).replace(/\r$/, '');
      this.buffer = this.buffer.slice(i + this.terminator.length);
    }
    const w = this.waiter;
    this.waiter = null;
    clearTimeout(w.timer);
    w.resolve(msg);
  }

  read(timeoutMs: number): Promise<string> {
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
}

/** A transport over a byte stream: subclasses write; reads and queries come from the line reader. */
export abstract class LineTransport implements Transport {
  protected readonly lines: LineReader;

  constructor(
    readonly resource: string,
    protected readonly terminator: string,
    protected readonly timeoutMs: number,
    framer?: Framer,
  ) {
    this.lines = new LineReader(resource, terminator, framer);
  }

  abstract write(message: string): Promise<void>;
  abstract close(): Promise<void>;

  read(timeoutMs = this.timeoutMs): Promise<string> {
    return this.lines.read(timeoutMs);
  }

  async query(message: string, timeoutMs?: number): Promise<string> {
    await this.write(message);
    return this.read(timeoutMs);
  }
}
