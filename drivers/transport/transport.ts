// A transport moves messages to and from one instrument. Every read has a timeout:
// no call can hang. Errors name the resource so the user knows which instrument.

export interface Transport {
  readonly resource: string;
  /** Sends one program message; the transport adds the write terminator. */
  write(message: string): Promise<void>;
  /** Reads one response message (terminator stripped) or fails after timeoutMs. */
  read(timeoutMs?: number): Promise<string>;
  query(message: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export class TransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'refused' | 'closed' | 'io' | 'resource',
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export const DEFAULT_TIMEOUT_MS = 2000;

export function timeoutText(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toPrecision(2).replace(/\.0+$/, '')} s` : `${ms} ms`;
}
