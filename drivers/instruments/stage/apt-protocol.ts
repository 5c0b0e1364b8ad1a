// The Thorlabs APT binary protocol (K10CR1, KDC101), shared by the driver and the
// simulator. A message is a 6-byte little-endian header — short form: id u16, param1 u8,
// param2 u8, dest u8, source u8; long form: id u16, data length u16, dest|0x80, source,
// then the data. Host address 0x01, a single USB controller 0x50. Messages travel as
// strings of bytes (latin1), like every other message in the transports.
// Facts from instruments.md §3.2 (yaq thorlabs-apt-protocol, pyLabLib, InstrumentKit);
// no vendor manual here to confirm them.

export const APT = {
  HW_REQ_INFO: 0x0005,
  HW_GET_INFO: 0x0006,
  HW_RESPONSE: 0x0080,
  HW_RICHRESPONSE: 0x0081,
  MOD_SET_CHANENABLESTATE: 0x0210,
  MOT_SET_POSCOUNTER: 0x0410,
  MOT_REQ_POSCOUNTER: 0x0411,
  MOT_GET_POSCOUNTER: 0x0412,
  MOT_REQ_STATUSBITS: 0x0429,
  MOT_GET_STATUSBITS: 0x042a,
  MOT_MOVE_HOME: 0x0443,
  MOT_MOVE_HOMED: 0x0444,
  MOT_MOVE_RELATIVE: 0x0448,
  MOT_MOVE_ABSOLUTE: 0x0453,
  MOT_MOVE_COMPLETED: 0x0464,
  MOT_MOVE_STOP: 0x0465,
  MOT_MOVE_STOPPED: 0x0466,
} as const;

export const HOST = 0x01;
export const CONTROLLER = 0x50;
/** Longest data part any message we handle carries (HW_GET_INFO: 84 bytes); longer is garbage. */
export const MAX_DATA = 255;
/** K10CR1: 409600/3 counts per degree (pyLabLib). */
export const K10CR1_COUNTS_PER_DEG = 409600 / 3;

export interface AptMessage {
  id: number;
  dest: number;
  source: number;
  /** Short form. */
  param1?: number;
  param2?: number;
  /** Long form. */
  data?: Buffer;
}

export class AptFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AptFrameError';
  }
}

export function shortMessage(id: number, param1: number, param2: number, dest = CONTROLLER, source = HOST): string {
  const b = Buffer.alloc(6);
  b.writeUInt16LE(id, 0);
  b.writeUInt8(param1, 2);
  b.writeUInt8(param2, 3);
  b.writeUInt8(dest, 4);
  b.writeUInt8(source, 5);
  return b.toString('latin1');
}

export function longMessage(id: number, data: Buffer, dest = CONTROLLER, source = HOST): string {
  if (data.length > MAX_DATA) throw new AptFrameError(`APT data of ${data.length} bytes exceeds ${MAX_DATA}`);
  const b = Buffer.alloc(6 + data.length);
  b.writeUInt16LE(id, 0);
  b.writeUInt16LE(data.length, 2);
  b.writeUInt8(dest | 0x80, 4);
  b.writeUInt8(source, 5);
  data.copy(b, 6);
  return b.toString('latin1');
}

/** Channel + 32-bit position (MOVE_ABSOLUTE, GET_POSCOUNTER, …): `<Hl`. */
export function chanPosition(channel: number, position: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16LE(channel, 0);
  b.writeInt32LE(Math.round(position), 2);
  return b;
}

/**
 * Length of the first complete message in a byte string, or -1 while incomplete; throws
 * AptFrameError for a header no controller sends (a long form with more data than any
 * message has), so a garbled stream fails clearly instead of waiting for 64 kB.
 */
export function aptFrameLength(buffer: string): number {
  if (buffer.length < 6) return -1;
  const dest = buffer.charCodeAt(4);
  if ((dest & 0x80) === 0) return 6;
  const len = buffer.charCodeAt(2) | (buffer.charCodeAt(3) << 8);
  if (len > MAX_DATA) throw new AptFrameError(`APT header declares ${len} data bytes (at most ${MAX_DATA}): garbled stream`);
  return buffer.length >= 6 + len ? 6 + len : -1;
}

export function parseMessage(s: string): AptMessage {
  if (s.length < 6) throw new AptFrameError(`APT message of ${s.length} bytes is shorter than its 6-byte header`);
  const b = Buffer.from(s, 'latin1');
  const id = b.readUInt16LE(0);
  const dest = b.readUInt8(4);
  const source = b.readUInt8(5);
  if ((dest & 0x80) === 0) {
    if (b.length !== 6) throw new AptFrameError(`short-form APT message 0x${id.toString(16)} carries ${b.length - 6} extra bytes`);
    return { id, dest, source, param1: b.readUInt8(2), param2: b.readUInt8(3) };
  }
  const len = b.readUInt16LE(2);
  if (b.length !== 6 + len) throw new AptFrameError(`APT message 0x${id.toString(16)} declares ${len} data bytes but carries ${b.length - 6}`);
  return { id, dest: dest & 0x7f, source, data: b.subarray(6) };
}

/** Cuts a byte stream into messages (simulator side); a garbled header drops one byte. */
export function splitApt(buffer: string): { commands: string[]; rest: string; dropped: number } {
  const commands: string[] = [];
  let rest = buffer;
  let dropped = 0;
  for (;;) {
    let n: number;
    try {
      n = aptFrameLength(rest);
    } catch {
      rest = rest.slice(1);
      dropped++;
      continue;
    }
    if (n < 0) break;
    commands.push(rest.slice(0, n));
    rest = rest.slice(n);
  }
  return { commands, rest, dropped };
}

export function hex(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex').replace(/(..)/g, '$1 ').trim().toUpperCase();
}
