// Seeded, deterministic pseudo-random numbers for the simulated bench (sfc32 seeded
// through splitmix32), so a simulated run is reproducible from its seed. The state can
// be saved and restored, so a resumed simulated run continues the same stream.

import { z } from 'zod';

export const RngStateSchema = z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int(), z.number().nullable()]);
export type RngState = z.infer<typeof RngStateSchema>;

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.uniform();
  }

  snapshot(): RngState {
    return [this.a, this.b, this.c, this.d, this.spare];
  }

  restore(s: RngState): void {
    [this.a, this.b, this.c, this.d, this.spare] = s;
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A child generator with its own stream, derived deterministically. */
  fork(salt: number): Rng {
    return new Rng((Math.floor(this.uniform() * 4294967296) ^ Math.imul(salt, 0x9e3779b1)) >>> 0);
  }
}
