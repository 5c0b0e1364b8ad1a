// Growable typed arrays for the channels a streaming analysis keeps: 8 bytes per value,
// no per-element overhead, nothing else of the chunk retained.

import type { DataChunk, RunData } from './protocol.ts';

export class ChannelBuffer {
  private readonly arrays = new Map<string, Float64Array>();
  private length = 0;

  constructor(private readonly names: readonly string[]) {
    for (const n of names) this.arrays.set(n, new Float64Array(1024));
  }

  /** Appends the chunk's values of the kept channels (a chunk without them adds nothing). */
  push(chunk: DataChunk): void {
    const first = chunk.channels[this.names[0]];
    if (!first) return;
    const add = first.length;
    for (const n of this.names) {
      let a = this.arrays.get(n)!;
      if (this.length + add > a.length) {
        const grown = new Float64Array(Math.max(a.length * 2, this.length + add));
        grown.set(a.subarray(0, this.length));
        this.arrays.set(n, (a = grown));
      }
      const src = chunk.channels[n] ?? [];
      for (let i = 0; i < add; i++) a[this.length + i] = src[i] ?? NaN;
    }
    this.length += add;
  }

  data(): RunData {
    return { channels: Object.fromEntries([...this.arrays].map(([n, a]) => [n, a.subarray(0, this.length)])) };
  }
}
