// VXI-11 for the simulated instruments: a portmapper (ONC RPC program 100000 v2, GETPORT)
// and the VXI-11 core channel (program 0x0607AF v1: create_link, device_write,
// device_read, device_readstb, device_trigger, device_clear, remote/local, lock/unlock,
// destroy_link) over TCP with RPC record marking (RFC 5531, XDR per RFC 4506). Each
// link names a device ("inst0", "inst1", …) mapped to a simulated instrument, as a LAN
// gateway would. A write with the END flag is one program message; its reply is what the
// next reads return, ending with END. Client side tested with pyvisa-py's own VXI-11.

import net from 'node:net';
import type { SimInstrument } from './scpi-instrument.ts';

const PMAP_PROG = 100000;
const PMAP_GETPORT = 3;
const CORE_PROG = 0x0607af;
const IPPROTO_TCP = 6;
const OP_FLAG_END = 0x08;
const RX_END = 0x04;
const ERR = { none: 0, syntax: 1, notAccessible: 3, invalidLink: 4, parameter: 5, io: 17 } as const;

class XdrReader {
  private pos = 0;
  constructor(private readonly b: Buffer) {}
  u32(): number {
    if (this.pos + 4 > this.b.length) throw new Error('XDR: truncated');
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.u32();
    return v >= 2 ** 31 ? v - 2 ** 32 : v;
  }
  opaque(): Buffer {
    const n = this.u32();
    if (n > 1 << 24 || this.pos + n > this.b.length) throw new Error('XDR: bad opaque length');
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += (n + 3) & ~3;
    return v;
  }
}

function xdr(...words: (number | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const w of words) {
    if (typeof w === 'number') {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(w >>> 0, 0);
      parts.push(b);
    } else {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(w.length, 0);
      parts.push(len, w, Buffer.alloc((4 - (w.length % 4)) % 4));
    }
  }
  return Buffer.concat(parts);
}

/** An accepted, successful reply with these results. */
function reply(xid: number, results: Buffer): Buffer {
  return Buffer.concat([xdr(xid, 1, 0, 0, 0, 0), results]);
}

/** Serves ONC RPC calls on a TCP server with record marking; `handle` returns the reply (or null for an unknown program). */
function rpcServer(handle: (prog: number, proc: number, args: XdrReader) => Buffer | null): net.Server {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let record: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 4) return;
        const mark = buf.readUInt32BE(0);
        const len = mark & 0x7fffffff;
        if (len > 1 << 24) return void socket.destroy();
        if (buf.length < 4 + len) return;
        record.push(buf.subarray(4, 4 + len));
        buf = buf.subarray(4 + len);
        if (!(mark & 0x80000000)) continue;
        const msg = Buffer.concat(record);
        record = [];
        let out: Buffer;
        try {
          const r = new XdrReader(msg);
          const xid = r.u32();
          if (r.u32() !== 0 || r.u32() !== 2) return void socket.destroy(); // not an RPC v2 call
          const [prog, , proc] = [r.u32(), r.u32(), r.u32()];
          r.u32();
          r.opaque(); // credentials
          r.u32();
          r.opaque(); // verifier
          const results = handle(prog, proc, r);
          // PROG_UNAVAIL (1) for programs this server does not offer.
          out = results ? reply(xid, results) : xdr(xid, 1, 0, 0, 0, 1);
        } catch {
          return void socket.destroy();
        }
        const head = Buffer.alloc(4);
        head.writeUInt32BE((0x80000000 | out.length) >>> 0, 0);
        socket.write(Buffer.concat([head, out]));
      }
    });
    socket.on('error', () => undefined);
  });
  // Closing the server ends its connections too (a client may keep its link open).
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as typeof server.close;
  return server;
}

export interface Vxi11Server {
  /** Port of the core channel. */
  corePort: number;
  /** Port of the portmapper (111 when it could be bound). */
  portmapperPort: number;
  close(): Promise<void>;
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/**
 * Serves the instruments over VXI-11 on `host`: `devices` maps device names (inst0, …) to
 * simulated instruments. The portmapper listens on `portmapperPort` (111 for real clients,
 * which always ask there; binding it needs the privilege to do so).
 */
export async function serveVxi11(devices: Record<string, SimInstrument>, host = '127.0.0.1', portmapperPort = 111): Promise<Vxi11Server> {
  const links = new Map<number, { device: SimInstrument; input: Buffer[]; output: Buffer }>();
  let nextLink = 1;
  const core = rpcServer((prog, proc, a) => {
    if (prog !== CORE_PROG) return null;
    switch (proc) {
      case 10: {
        // create_link: clientId, lockDevice, lock_timeout, device name
        a.i32();
        a.u32();
        a.u32();
        const name = a.opaque().toString('latin1');
        const device = devices[name];
        if (!device) return xdr(ERR.notAccessible, 0, 0, 0);
        const lid = nextLink++;
        links.set(lid, { device, input: [], output: Buffer.alloc(0) });
        return xdr(ERR.none, lid, 0, 1 << 20);
      }
      case 11: {
        // device_write: lid, io_timeout, lock_timeout, flags, data
        const lid = a.i32();
        a.u32();
        a.u32();
        const flags = a.u32();
        const data = a.opaque();
        const link = links.get(lid);
        if (!link) return xdr(ERR.invalidLink, 0);
        link.input.push(Buffer.from(data));
        if (flags & OP_FLAG_END) {
          const message = Buffer.concat(link.input).toString('latin1').replace(/\r?\n$/, '');
          link.input = [];
          const r = link.device.handleMessage(message);
          if (r !== null) link.output = Buffer.concat([link.output, Buffer.from(`${r}\n`, 'latin1')]);
        }
        return xdr(ERR.none, data.length);
      }
      case 12: {
        // device_read: lid, requestSize, io_timeout, lock_timeout, flags, termChar
        const lid = a.i32();
        const size = a.u32();
        const link = links.get(lid);
        if (!link) return xdr(ERR.invalidLink, 0, Buffer.alloc(0));
        // Nothing to read: the instrument has not answered (a client timeout, as on a real bus).
        if (link.output.length === 0) return xdr(15, 0, Buffer.alloc(0));
        const part = link.output.subarray(0, Math.max(1, size));
        link.output = link.output.subarray(part.length);
        return xdr(ERR.none, link.output.length === 0 ? RX_END : 0, part);
      }
      case 13: {
        // device_readstb: generic params; the status byte's MAV bit when output waits
        const link = links.get(a.i32());
        return link ? xdr(ERR.none, link.output.length ? 0x10 : 0) : xdr(ERR.invalidLink, 0);
      }
      case 14:
      case 15:
      case 16:
      case 17:
      case 18:
      case 19: {
        const lid = a.i32();
        const link = links.get(lid);
        if (!link) return xdr(ERR.invalidLink);
        if (proc === 14) link.device.handleMessage('*TRG');
        if (proc === 15) {
          link.input = [];
          link.output = Buffer.alloc(0);
        }
        return xdr(ERR.none);
      }
      case 23:
        links.delete(a.i32());
        return xdr(ERR.none);
      default:
        return xdr(ERR.syntax);
    }
  });
  const corePort = await listen(core, 0, host);
  const pmap = rpcServer((prog, proc, a) => {
    if (prog !== PMAP_PROG) return null;
    if (proc === 0) return Buffer.alloc(0);
    if (proc !== PMAP_GETPORT) return xdr(0);
    const [p, , prot] = [a.u32(), a.u32(), a.u32()];
    return xdr(p === CORE_PROG && prot === IPPROTO_TCP ? corePort : 0);
  });
  let pmapPort: number;
  try {
    pmapPort = await listen(pmap, portmapperPort, host);
  } catch (e) {
    await new Promise<void>((r) => core.close(() => r()));
    throw new Error(`VXI-11: cannot listen on ${host}:${portmapperPort} for the portmapper (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); VXI-11 clients always ask port 111, which needs root or a free port`);
  }
  return {
    corePort,
    portmapperPort: pmapPort,
    close: () => Promise.all([new Promise<void>((r) => core.close(() => r())), new Promise<void>((r) => pmap.close(() => r()))]).then(() => undefined),
  };
}
