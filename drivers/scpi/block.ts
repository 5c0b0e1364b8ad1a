// IEEE 488.2 definite-length arbitrary blocks: #<n><length, n digits><length bytes>.
// Transports keep one byte per character (latin1), so a block travels as a string.

export class BlockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockError';
  }
}

export function encodeBlock(bytes: Uint8Array): string {
  const len = String(bytes.length);
  if (len.length > 9) throw new BlockError(`a block of ${bytes.length} bytes needs more than 9 length digits`);
  return `#${len.length}${len}${Buffer.from(bytes).toString('latin1')}`;
}

/** The payload of a definite-length block; throws naming what is wrong with the header or length. */
export function decodeBlock(reply: string, what: string): Buffer {
  const m = /^#([1-9])/.exec(reply);
  if (!m) throw new BlockError(`${what}: expected a definite-length block (#<n><length>…), got "${reply.slice(0, 20)}"`);
  const digits = Number(m[1]);
  const lenText = reply.slice(2, 2 + digits);
  if (!/^\d+$/.test(lenText) || lenText.length !== digits) throw new BlockError(`${what}: block header "${reply.slice(0, 2 + digits)}" has no ${digits}-digit length`);
  const len = Number(lenText);
  const body = reply.slice(2 + digits);
  if (body.length < len) throw new BlockError(`${what}: block declares ${len} bytes but carries ${body.length}`);
  return Buffer.from(body.slice(0, len), 'latin1');
}
