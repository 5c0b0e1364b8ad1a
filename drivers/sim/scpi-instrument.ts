// Base of every simulated SCPI instrument: a table of header patterns with set and
// query handlers, the IEEE 488.2 common commands, and a SCPI error queue. Subclasses
// register their own subsystems in the constructor.

import { Errors, type Suffixes, ScpiError, matchHeader, parseCommand, parsePattern, splitMessage } from '../scpi/command-tree.ts';

export interface SimInstrument {
  readonly model: string;
  /** One program message in (no terminator); the response message, or null when nothing was asked. */
  handleMessage(message: string): string | null;
  /** Every program message received, in order (for tests and for the sim's own log). */
  readonly received: string[];
}

interface Handler {
  nodes: ReturnType<typeof parsePattern>;
  set?: (args: string[], sfx: Suffixes) => void;
  query?: (args: string[], sfx: Suffixes) => string;
}

const ERROR_QUEUE_SIZE = 32;

export abstract class ScpiInstrument implements SimInstrument {
  abstract readonly model: string;
  readonly received: string[] = [];
  private readonly handlers: Handler[] = [];
  private readonly errors: ScpiError[] = [];

  constructor() {
    this.on('*IDN', { query: () => this.idn() });
    this.on('*RST', { set: () => this.reset() });
    this.on('*CLS', { set: () => this.clearStatus() });
    this.on('*OPC', { set: () => undefined, query: () => '1' });
    this.on('*WAI', { set: () => undefined });
    this.on('*ESR', { query: () => '0' });
    this.on('*STB', { query: () => String(this.statusByte()) });
    this.on('*TRG', { set: () => this.busTrigger() });
    this.on('*OPT', { query: () => '0' });
    this.on(':SYSTem:ERRor[:NEXT]', { query: () => this.nextError() });
    this.on(':SYSTem:ERRor:COUNt', { query: () => String(this.errors.length) });
  }

  protected abstract idn(): string;
  protected abstract reset(): void;
  protected busTrigger(): void {
    /* instruments without a bus trigger ignore *TRG */
  }

  /** The status byte: bit 2 (EAV) while the error queue holds something; families add their own bits. */
  protected statusByte(): number {
    return this.errors.length ? 4 : 0;
  }

  protected clearStatus(): void {
    this.errors.length = 0;
  }

  /** The reply to SYST:ERR? for an empty queue; Keysight prints `+0`, Keithley `0`. */
  protected noErrorReply(): string {
    return '0,"No error"';
  }

  protected formatError(e: ScpiError): string {
    return `${e.code},"${e.text}"`;
  }

  protected nextError(): string {
    const e = this.errors.shift();
    return e ? this.formatError(e) : this.noErrorReply();
  }

  pushError(e: ScpiError): void {
    if (this.errors.length >= ERROR_QUEUE_SIZE - 1) {
      this.errors[ERROR_QUEUE_SIZE - 1] = new ScpiError(-350, 'Queue overflow');
      return;
    }
    this.errors.push(e);
  }

  get pendingErrors(): readonly ScpiError[] {
    return this.errors;
  }

  protected on(pattern: string, h: Omit<Handler, 'nodes'>): void {
    this.handlers.push({ nodes: parsePattern(pattern), ...h });
  }

  private find(tokens: string[]): { h: Handler; sfx: Suffixes } | null {
    for (const h of this.handlers) {
      const sfx = matchHeader(tokens, h.nodes);
      if (sfx) return { h, sfx };
    }
    return null;
  }

  handleMessage(message: string): string | null {
    this.received.push(message);
    const replies: string[] = [];
    let prefix: string[] = [];
    for (const part of splitMessage(message)) {
      const cmd = parseCommand(part);
      if (!cmd) continue;
      const common = cmd.tokens[0]?.startsWith('*') ?? false;
      // SCPI: a header after ';' without a leading ':' is relative to the previous
      // header's path. Many client libraries send it absolute anyway, so fall back.
      let tokens = cmd.tokens;
      let found = !cmd.absolute && !common && prefix.length ? this.find([...prefix, ...tokens]) : null;
      if (found) tokens = [...prefix, ...tokens];
      else found = this.find(tokens);
      if (!common) prefix = tokens.slice(0, -1);
      if (!found) {
        this.pushError(Errors.undefinedHeader());
        continue;
      }
      try {
        if (cmd.query) {
          if (!found.h.query) throw Errors.queryOnly();
          replies.push(found.h.query(cmd.args, found.sfx));
        } else {
          if (!found.h.set) throw Errors.commandOnly();
          found.h.set(cmd.args, found.sfx);
        }
      } catch (e) {
        if (e instanceof ScpiError) this.pushError(e);
        else throw e;
      }
    }
    return replies.length ? replies.join(';') : null;
  }
}
