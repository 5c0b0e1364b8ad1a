// VISA-style resource strings → a typed descriptor (or a clear error).
//   TCPIP[n]::host::port::SOCKET   raw socket (SCPI, usually port 5025)
//   TCPIP[n]::host[::inst0]::INSTR VXI-11 (through the PyVISA bridge)
//   ASRL<path or number>::INSTR    serial port
//   GPIB[n]::addr[::INSTR]         GPIB (through the PyVISA bridge)
//   USB[n]::vid::pid::serial::INSTR  USB-TMC (through the PyVISA bridge)
//   SIM::<model>                   in-process simulated instrument

import { SIM_MODELS, type SimModel } from '../sim/bench.ts';

export type ResourceDescriptor =
  | { kind: 'tcp-socket'; board: number; host: string; port: number }
  | { kind: 'vxi11'; board: number; host: string; device: string }
  | { kind: 'serial'; path: string }
  | { kind: 'gpib'; board: number; address: number; secondary?: number }
  | { kind: 'usb'; board: number; vendorId: number; productId: number; serial: string }
  | { kind: 'sim'; model: SimModel };

export class ResourceError extends Error {
  constructor(resource: string, why: string) {
    super(`resource string "${resource}": ${why}`);
    this.name = 'ResourceError';
  }
}

const EXAMPLES = 'expected e.g. TCPIP0::192.168.0.5::5025::SOCKET, TCPIP0::192.168.0.5::inst0::INSTR, USB0::0x05E6::0x2450::04610529::INSTR, GPIB0::24::INSTR, ASRL/dev/ttyUSB0::INSTR or SIM::keithley2450';

function board(s: string | undefined, resource: string): number {
  if (s === undefined || s === '') return 0;
  if (!/^\d+$/.test(s)) throw new ResourceError(resource, `board number "${s}" is not a whole number`);
  return Number(s);
}

export function parseResource(resource: string): ResourceDescriptor {
  const r = resource.trim();
  if (r === '') throw new ResourceError(resource, `empty; ${EXAMPLES}`);
  const parts = r.split('::');
  const head = parts[0].toUpperCase();

  if (head === 'SIM') {
    const model = (parts[1] ?? '').toLowerCase();
    if (parts.length !== 2 || !(SIM_MODELS as readonly string[]).includes(model)) {
      throw new ResourceError(resource, `unknown simulated model "${parts[1] ?? ''}"; available: ${SIM_MODELS.map((m) => `SIM::${m}`).join(', ')}`);
    }
    return { kind: 'sim', model: model as SimModel };
  }

  const tcp = /^TCPIP(\d*)$/.exec(head);
  if (tcp) {
    const b = board(tcp[1], resource);
    const host = parts[1];
    if (!host) throw new ResourceError(resource, 'missing host after TCPIP::');
    const last = (parts[parts.length - 1] ?? '').toUpperCase();
    if (last === 'SOCKET') {
      if (parts.length !== 4) throw new ResourceError(resource, 'a socket resource is TCPIP::host::port::SOCKET');
      const port = Number(parts[2]);
      if (!/^\d+$/.test(parts[2]) || port < 1 || port > 65535) throw new ResourceError(resource, `port "${parts[2]}" is not in 1..65535`);
      return { kind: 'tcp-socket', board: b, host, port };
    }
    if (last === 'INSTR' || parts.length === 2) {
      const device = parts.length === 4 ? parts[2] : 'inst0';
      if (parts.length > 4) throw new ResourceError(resource, 'too many fields for TCPIP::host[::device]::INSTR');
      return { kind: 'vxi11', board: b, host, device };
    }
    throw new ResourceError(resource, `resource class "${parts[parts.length - 1]}" is not SOCKET or INSTR`);
  }

  const asrl = /^ASRL(.+)$/i.exec(parts[0]);
  if (asrl) {
    if (parts.length > 2 || (parts[1] !== undefined && parts[1].toUpperCase() !== 'INSTR')) {
      throw new ResourceError(resource, 'a serial resource is ASRL<port>::INSTR');
    }
    const p = asrl[1];
    return { kind: 'serial', path: /^\d+$/.test(p) ? (process.platform === 'win32' ? `COM${p}` : `/dev/ttyS${Number(p) - 1}`) : p };
  }

  const usb = /^USB(\d*)$/.exec(head);
  if (usb) {
    if (parts.length < 4) throw new ResourceError(resource, 'a USB resource is USB[board]::vendor::product::serial[::interface]::INSTR');
    const id = (s: string, what: string) => {
      const v = Number(s);
      if (!/^(0x[0-9a-f]+|\d+)$/i.test(s) || v > 0xffff) throw new ResourceError(resource, `${what} "${s}" is not a 16-bit number`);
      return v;
    };
    return { kind: 'usb', board: board(usb[1], resource), vendorId: id(parts[1], 'vendor id'), productId: id(parts[2], 'product id'), serial: parts[3] };
  }

  const gpib = /^GPIB(\d*)$/.exec(head);
  if (gpib) {
    const b = board(gpib[1], resource);
    const addr = Number(parts[1]);
    if (!/^\d+$/.test(parts[1] ?? '') || addr > 30) throw new ResourceError(resource, `GPIB primary address "${parts[1] ?? ''}" is not in 0..30`);
    const rest = parts.slice(2).filter((p) => p.toUpperCase() !== 'INSTR');
    const secondary = rest[0] !== undefined ? Number(rest[0]) : undefined;
    if (secondary !== undefined && !(secondary >= 0 && secondary <= 30)) throw new ResourceError(resource, `GPIB secondary address "${rest[0]}" is not in 0..30`);
    return { kind: 'gpib', board: b, address: addr, ...(secondary !== undefined ? { secondary } : {}) };
  }

  throw new ResourceError(resource, `unknown interface "${parts[0]}"; ${EXAMPLES}`);
}
