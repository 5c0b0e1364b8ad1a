// In-memory transport to a simulated instrument: each write is handed to the
// instrument as one program message; its response messages queue for reads.

import { SimDisconnected } from '../sim/faults.ts';
import type { SimInstrument } from '../sim/scpi-instrument.ts';
import { DEFAULT_TIMEOUT_MS, type Transport, TransportError, timeoutText } from './transport.ts';

export class LoopbackTransport implements Transport {
  private readonly replies: string[] = [];
  private closed = false;

  constructor(
    readonly resource: string,
    private readonly instrument: SimInstrument,
  ) {}

  async write(message: string): Promise<void> {
    if (this.closed) throw new TransportError(`${this.resource}: write after close`, 'closed');
    let reply: string | null;
    try {
      reply = this.instrument.handleMessage(message);
    } catch (e) {
      if (e instanceof SimDisconnected) {
        this.closed = true;
        throw new TransportError(`${this.resource}: connection closed by the instrument (${e.message})`, 'closed');
      }
      throw e;
    }
    if (reply !== null) this.replies.push(reply);
  }

  async read(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    if (this.closed) throw new TransportError(`${this.resource}: read after close`, 'closed');
    // Yield to the event loop as real I/O would, so signals, timers and aborts are
    // serviced during long simulated runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const r = this.replies.shift();
    // A simulated instrument answers synchronously, so an empty queue means it never will.
    if (r === undefined) throw new TransportError(`${this.instrument.model} at ${this.resource} did not answer within ${timeoutText(timeoutMs)}`, 'timeout');
    return r;
  }

  async query(message: string, timeoutMs?: number): Promise<string> {
    await this.write(message);
    return this.read(timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
