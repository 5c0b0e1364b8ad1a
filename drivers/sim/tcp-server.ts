// Serves a simulated instrument on a loopback TCP port as a raw SCPI socket, so any
// VISA client (PyVISA with pyvisa-py included) can talk to it like a LAN instrument.

import net from 'node:net';
import { SimDisconnected } from './faults.ts';
import type { SimInstrument } from './scpi-instrument.ts';

export interface SimServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export interface Framing {
  /** Cuts received text into messages (default: lines ending in \n, \r stripped). */
  split(pending: string): { commands: string[]; rest: string };
  /** Appended to each reply (default \n). */
  replyTerminator: string;
}

/** Where the line starting at `from` ends (its LF), skipping the payload of any definite-length block (#<n><len><bytes>); -1 while incomplete. */
function lineEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '\n') return i;
    if (c === '#' && /[1-9]/.test(s[i + 1] ?? '')) {
      const n = Number(s[i + 1]);
      const digits = s.slice(i + 2, i + 2 + n);
      if (digits.length < n) return -1;
      if (/^\d+$/.test(digits)) i += 1 + n + Number(digits);
    }
  }
  return -1;
}

const SCPI_LINES: Framing = {
  split(pending) {
    const commands: string[] = [];
    let rest = pending;
    let i: number;
    while ((i = lineEnd(rest, 0)) >= 0) {
      commands.push(rest.slice(0, i).replace(/\r$/, ''));
      rest = rest.slice(i + 1);
    }
    return { commands, rest };
  },
  replyTerminator: '\n',
};

export function serveInstrument(instrument: SimInstrument, port = 0, host = '127.0.0.1', framing: Framing = SCPI_LINES): Promise<SimServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const cut = framing.split(pending);
      pending = cut.rest;
      for (const line of cut.commands) {
        let reply: string | null;
        try {
          reply = instrument.handleMessage(line);
        } catch (e) {
          if (e instanceof SimDisconnected) {
            socket.destroy();
            return;
          }
          // An internal simulator fault must not kill the server; report it on stderr.
          process.stderr.write(`simulated ${instrument.model}: internal error on "${line}": ${(e as Error).message}\n`);
          reply = null;
        }
        if (reply !== null) socket.write(reply + framing.replyTerminator, 'latin1');
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${e.message}`)),
    );
    server.listen(port, host, () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        host,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
