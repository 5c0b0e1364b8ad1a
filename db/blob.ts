// Float64 samples ↔ little-endian BLOBs (explicit byte order, whatever the host's).

const LITTLE_ENDIAN_HOST = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

export function encodeFloat64LE(values: ArrayLike<number>, start = 0, end = values.length): Buffer {
  const n = end - start;
  const arr = new Float64Array(n);
  if (values instanceof Float64Array) arr.set(values.subarray(start, end));
  else for (let i = 0; i < n; i++) arr[i] = values[start + i];
  const buf = Buffer.from(arr.buffer, 0, n * 8);
  if (!LITTLE_ENDIAN_HOST) for (let i = 0; i < n; i++) buf.writeDoubleLE(arr[i], i * 8);
  return buf;
}

export function decodeFloat64LE(blob: Buffer, into?: Float64Array, offset = 0): Float64Array {
  if (blob.length % 8 !== 0) throw new Error(`sample BLOB of ${blob.length} bytes is not a whole number of float64 values`);
  const n = blob.length / 8;
  const out = into ?? new Float64Array(n);
  if (LITTLE_ENDIAN_HOST) {
    // A view when the BLOB's bytes are 8-aligned (one copy, into `out`); else through an aligned copy.
    const src = blob.byteOffset % 8 === 0 ? new Float64Array(blob.buffer, blob.byteOffset, n) : new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.length));
    out.set(src, offset);
  } else {
    for (let i = 0; i < n; i++) out[offset + i] = blob.readDoubleLE(i * 8);
  }
  return out;
}
