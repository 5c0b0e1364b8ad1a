// Transport through PyVISA in a Python child process (JSON lines over stdin/stdout), for
// instruments Node cannot reach itself: GPIB, USB-TMC, VXI-11 — through a vendor VISA
// library or pyvisa-py. Every request has a timeout; a dead bridge fails every call.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIMEOUT_MS, type Transport, TransportError, timeoutText } from './transport.ts';

// Beside this module in the sources; from the built command (dist/), in the sources' folder.
const SCRIPT = [new URL('./pyvisa_bridge.py', import.meta.url), new URL('../drivers/transport/pyvisa_bridge.py', import.meta.url)].map((u) => fileURLToPath(u)).find((f) => existsSync(f)) ?? fileURLToPath(new URL('./pyvisa_bridge.py', import.meta.url));

export interface BridgeOptions {
  /** Python interpreter with PyVISA (default: $NEUROPROBE_PYTHON or /usr/bin/python3). */
  python?: string;
  /** PyVISA backend: "@py" (pyvisa-py) or "" for the system VISA library. */
  backend?: string;
  timeoutMs?: number;
  termination?: string;
}

interface Reply {
  ok: boolean;
  data?: string;
  kind?: TransportError['kind'];
  error?: string;
}

export class PyVisaBridgeTransport implements Transport {
  private buffer = '';
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private dead: TransportError | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly resource: string,
    private readonly child: ChildProcess,
    private readonly timeoutMs: number,
  ) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      this.buffer += d;
      let i: number;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        const p = this.pending;
        if (!p) continue;
        this.pending = null;
        clearTimeout(p.timer);
        try {
          p.resolve(JSON.parse(line) as Reply);
        } catch {
          p.reject(new TransportError(`${resource}: PyVISA bridge sent an unreadable reply: ${line.slice(0, 80)}`, 'io'));
        }
      }
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-500)));
    const die = (why: string) => {
      this.dead ??= new TransportError(`${resource}: PyVISA bridge ${why}${stderr ? `: ${stderr.trim()}` : ''}`, 'closed');
      if (this.pending) {
        clearTimeout(this.pending.timer);
        this.pending.reject(this.dead);
        this.pending = null;
      }
    };
    child.on('exit', (code) => die(`exited (code ${code})`));
    child.on('error', (e) => die(`could not start (${e.message})`));
  }

  static async open(resource: string, opts: BridgeOptions = {}): Promise<PyVisaBridgeTransport> {
    const python = opts.python ?? process.env.NEUROPROBE_PYTHON ?? '/usr/bin/python3';
    const child = spawn(python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const t = new PyVisaBridgeTransport(resource, child, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      // Starting Python and importing PyVISA can take seconds on a cold machine.
      await t.request({ op: 'open', resource, backend: opts.backend ?? '@py', timeout_ms: t.timeoutMs, termination: opts.termination ?? '\n' }, t.timeoutMs + 20_000);
    } catch (e) {
      child.kill();
      throw e;
    }
    return t;
  }

  /** One request at a time, in order; the reply or a timeout settles it. */
  private request(req: Record<string, unknown>, timeoutMs: number, instrumentTimeoutMs = timeoutMs): Promise<Reply> {
    const run = async (): Promise<Reply> => {
      if (this.dead) throw this.dead;
      const reply = await new Promise<Reply>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending = null;
          reject(new TransportError(`${this.resource} did not answer within ${timeoutText(timeoutMs)} (through the PyVISA bridge)`, 'timeout'));
        }, timeoutMs);
        this.pending = { resolve, reject, timer };
        this.child.stdin!.write(JSON.stringify(req) + '\n');
      });
      if (!reply.ok) {
        const kind = reply.kind ?? 'io';
        throw new TransportError(kind === 'timeout' ? `${this.resource} did not answer within ${timeoutText(instrumentTimeoutMs)}` : `${this.resource}: ${reply.error}`, kind);
      }
      return reply;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async write(message: string): Promise<void> {
    await this.request({ op: 'write', data: message }, this.timeoutMs + 1000);
  }

  async read(timeoutMs = this.timeoutMs): Promise<string> {
    // The bridge enforces the instrument timeout; ours only guards against a stuck bridge.
    const r = await this.request({ op: 'read', timeout_ms: timeoutMs }, timeoutMs + 2000, timeoutMs);
    return (r.data ?? '').replace(/\r?\n$/, '');
  }

  async query(message: string, timeoutMs?: number): Promise<string> {
    await this.write(message);
    return this.read(timeoutMs);
  }

  async close(): Promise<void> {
    if (!this.dead) await this.request({ op: 'close' }, 2000).catch(() => undefined);
    this.child.kill();
  }
}
