// Simulated Keysight 33522B (33500B series, two channels) in SCPI (instruments.md §2.1):
// pulse function, levels, load, polarity, burst and trigger subsystems, output state,
// and the error queue. Triggered bursts are scheduled as pulses in virtual time; the
// bench applies them to the device as time passes.
// Unconfirmed: the exact *IDN? text (no literal reply was found in any source) and the
// behaviour on a width ≥ period (modelled as error -221, value unchanged).

import { Errors, ScpiError, type Suffixes } from '../scpi/command-tree.ts';
import { decodeBlock } from '../scpi/block.ts';
import { parseBoolArg, parseEnumArg, parseIntArg, parseNumberArg } from '../scpi/arguments.ts';
import type { GeneratedPulse } from './environment.ts';
import { ScpiInstrument } from './scpi-instrument.ts';

const FUNCTIONS = ['SINusoid', 'SQUare', 'TRIangle', 'RAMP', 'PULSe', 'PRBS', 'NOISe', 'ARB', 'DC'] as const;
type Func = (typeof FUNCTIONS)[number];

export interface Channel {
  func: Func;
  widthS: number;
  periodS: number;
  edgeS: number;
  highV: number;
  lowV: number;
  loadOhm: number; // Infinity = high-Z
  inverted: boolean;
  output: boolean;
  outputOnAtS: number;
  burst: boolean;
  burstMode: 'TRIGgered' | 'GATed';
  burstCycles: number;
  triggerSource: 'IMMediate' | 'EXTernal' | 'BUS' | 'TIMer';
  triggerDelayS: number;
  /** Arbitrary waveforms in volatile memory, values −1…+1. */
  arbs: Map<string, Float32Array>;
  arbName: string | null;
  arbRateSa: number;
}

/** `[SOURce<n>:]DATA:ARBitrary <name>, #<block>` (a binary float32 upload). */
const ARB_UPLOAD = /^:?(?:SOUR(?:CE)?([12])?:)?DATA:ARB(?:ITRARY)?\s+([A-Za-z][A-Za-z0-9_]{0,11})\s*,\s*(?=#)/i;
/** Largest arbitrary waveform this simulator accepts (unconfirmed for the real 33500B, whose standard memory is larger). */
const ARB_MAX_POINTS = 65_536;

function defaults(): Channel {
  return {
    func: 'SINusoid',
    widthS: 100e-6,
    periodS: 1e-3,
    edgeS: 10e-9,
    highV: 0.05,
    lowV: -0.05,
    loadOhm: 50,
    inverted: false,
    output: false,
    outputOnAtS: 0,
    burst: false,
    burstMode: 'TRIGgered',
    burstCycles: 1,
    triggerSource: 'IMMediate',
    triggerDelayS: 0,
    arbs: new Map(),
    arbName: null,
    arbRateSa: 40_000,
  };
}

export interface GeneratorHost {
  nowS(): number;
  /** Lets time pass (a bus-triggered burst runs to completion before *TRG returns). */
  advance(dtS: number): void;
}

export class SimKeysight33500B extends ScpiInstrument {
  readonly model: string = 'Keysight 33522B';
  protected readonly channels: [Channel, Channel] = [defaults(), defaults()];
  private scheduled: GeneratedPulse[] = [];
  private host: GeneratorHost | null = null;

  constructor(protected readonly serial = 'NPSIM33522') {
    super();
    this.register();
  }

  attach(host: GeneratorHost): void {
    this.host = host;
  }

  /** An uploaded arbitrary waveform (tests). */
  arbitrary(channel: 1 | 2, name: string): Float32Array | undefined {
    return this.channels[channel - 1].arbs.get(name.toUpperCase());
  }

  /** Float32 uploads: NORMal = big-endian (the instrument's default), SWAPped = little-endian. */
  private swapped = false;

  override handleMessage(message: string): string | null {
    const m = ARB_UPLOAD.exec(message);
    if (!m) return super.handleMessage(message);
    this.received.push(`${m[0]}#<${message.length - m[0].length} bytes>`);
    const c = this.channels[Number(m[1] ?? 1) - 1];
    try {
      const bytes = decodeBlock(message.slice(m[0].length), 'DATA:ARB');
      if (bytes.length % 4 !== 0) throw Errors.illegalValue(`binary block of ${bytes.length} bytes is not whole float32 values`);
      const n = bytes.length / 4;
      if (n < 8 || n > ARB_MAX_POINTS) throw Errors.illegalValue(`${n} points (8..${ARB_MAX_POINTS})`);
      const values = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const v = this.swapped ? bytes.readFloatLE(4 * k) : bytes.readFloatBE(4 * k);
        if (!(v >= -1 && v <= 1)) throw new ScpiError(-222, `Data out of range; point ${k + 1} is ${v} (−1…+1)`);
        values[k] = v;
      }
      c.arbs.set(m[2].toUpperCase(), values);
    } catch (e) {
      if (e instanceof ScpiError) this.pushError(e);
      else this.pushError(new ScpiError(-161, `Invalid block data; ${(e as Error).message}`));
    }
    return null;
  }

  protected idn(): string {
    return `Keysight Technologies,33522B,${this.serial},5.02-1.19-2.00-58-00`;
  }

  protected override noErrorReply(): string {
    return '+0,"No error"';
  }

  protected override formatError(e: { code: number; text: string }): string {
    return `${e.code > 0 ? '+' : ''}${e.code},"${e.text}"`;
  }

  protected reset(): void {
    this.channels[0] = defaults();
    this.channels[1] = defaults();
    this.scheduled = [];
  }

  protected ch(sfx: Suffixes, key: string): Channel {
    const n = sfx[key] ?? 1;
    if (n < 1 || n > 2) throw Errors.illegalValue(`channel ${n} (33522B has channels 1 and 2)`);
    return this.channels[n - 1];
  }

  protected maxLevel(c: Channel): number {
    return c.loadOhm === Infinity ? 10 : 5;
  }

  private register(): void {
    const src = (sfx: Suffixes) => this.ch(sfx, 'SOURCE');
    this.on('[:SOURce#]:FUNCtion[:SHAPe]', {
      set: (a, s) => void (src(s).func = parseEnumArg(a[0], FUNCTIONS, 'function')),
      query: (_a, s) => src(s).func.replace(/[a-z]+$/, ''),
    });
    this.on('[:SOURce#]:FUNCtion:PULSe:WIDTh', {
      set: (a, s) => {
        const c = src(s);
        const w = parseNumberArg(a[0], { min: 16e-9, max: 1e6, def: 100e-6, what: 'pulse width' });
        if (w >= c.periodS) throw Errors.settingsConflict(`pulse width ${w} s must be shorter than the period ${c.periodS} s`);
        c.widthS = w;
      },
      query: (_a, s) => src(s).widthS.toExponential(),
    });
    this.on('[:SOURce#]:FUNCtion:PULSe:PERiod', {
      set: (a, s) => {
        const c = src(s);
        const p = parseNumberArg(a[0], { min: 33e-9, max: 1e6, def: 1e-3, what: 'pulse period' });
        if (p <= c.widthS) throw Errors.settingsConflict(`period ${p} s must exceed the pulse width ${c.widthS} s`);
        c.periodS = p;
      },
      query: (_a, s) => src(s).periodS.toExponential(),
    });
    this.on('[:SOURce#]:FREQuency', {
      set: (a, s) => {
        const f = parseNumberArg(a[0], { min: 1e-6, max: 30e6, what: 'frequency' });
        src(s).periodS = 1 / f;
      },
      query: (_a, s) => String(1 / src(s).periodS),
    });
    this.on('[:SOURce#]:FUNCtion:PULSe:TRANsition[:BOTH]', {
      set: (a, s) => void (src(s).edgeS = parseNumberArg(a[0], { min: 8.4e-9, max: 1e-6, what: 'edge time' })),
      query: (_a, s) => src(s).edgeS.toExponential(),
    });
    this.on('[:SOURce#]:VOLTage:HIGH', {
      set: (a, s) => {
        const c = src(s);
        const v = parseNumberArg(a[0], { min: -this.maxLevel(c), max: this.maxLevel(c), what: 'high level' });
        if (v <= c.lowV) throw Errors.settingsConflict(`high level ${v} V must exceed the low level ${c.lowV} V`);
        c.highV = v;
      },
      query: (_a, s) => String(src(s).highV),
    });
    this.on('[:SOURce#]:VOLTage:LOW', {
      set: (a, s) => {
        const c = src(s);
        const v = parseNumberArg(a[0], { min: -this.maxLevel(c), max: this.maxLevel(c), what: 'low level' });
        if (v >= c.highV) throw Errors.settingsConflict(`low level ${v} V must be below the high level ${c.highV} V`);
        c.lowV = v;
      },
      query: (_a, s) => String(src(s).lowV),
    });
    this.on('[:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]', {
      set: (a, s) => {
        const c = src(s);
        const amp = parseNumberArg(a[0], { min: 1e-3, max: 2 * this.maxLevel(c), what: 'amplitude' });
        const off = (c.highV + c.lowV) / 2;
        if (Math.abs(off) + amp / 2 > this.maxLevel(c)) throw Errors.settingsConflict('amplitude with present offset exceeds the output limit');
        c.highV = off + amp / 2;
        c.lowV = off - amp / 2;
      },
      query: (_a, s) => String(src(s).highV - src(s).lowV),
    });
    this.on('[:SOURce#]:VOLTage[:LEVel][:IMMediate]:OFFSet', {
      set: (a, s) => {
        const c = src(s);
        const off = parseNumberArg(a[0], { min: -this.maxLevel(c), max: this.maxLevel(c), what: 'offset' });
        const half = (c.highV - c.lowV) / 2;
        if (Math.abs(off) + half > this.maxLevel(c)) throw Errors.settingsConflict('offset with present amplitude exceeds the output limit');
        c.highV = off + half;
        c.lowV = off - half;
      },
      query: (_a, s) => String((src(s).highV + src(s).lowV) / 2),
    });
    const out = (sfx: Suffixes) => this.ch(sfx, 'OUTPUT');
    this.on(':OUTPut#[:STATe]', {
      set: (a, s) => {
        const c = out(s);
        const on = parseBoolArg(a[0], 'output state');
        if (on && !c.output) c.outputOnAtS = this.host?.nowS() ?? 0;
        c.output = on;
        if (!on) this.scheduled = this.scheduled.filter((p) => p.channel !== (s.OUTPUT ?? 1));
      },
      query: (_a, s) => (out(s).output ? '1' : '0'),
    });
    this.on(':OUTPut#:LOAD', {
      set: (a, s) => {
        const c = out(s);
        const u = (a[0] ?? '').toUpperCase();
        c.loadOhm = u === 'INF' || u === 'INFINITY' ? Infinity : parseNumberArg(a[0], { min: 1, max: 10_000, def: 50, what: 'load' });
        if (Math.max(Math.abs(c.highV), Math.abs(c.lowV)) > this.maxLevel(c)) throw Errors.settingsConflict('levels exceed the limit for this load');
      },
      query: (_a, s) => (out(s).loadOhm === Infinity ? '9.9E+37' : String(out(s).loadOhm)),
    });
    this.on(':OUTPut#:POLarity', {
      set: (a, s) => void (out(s).inverted = parseEnumArg(a[0], ['NORMal', 'INVerted'] as const, 'polarity') === 'INVerted'),
      query: (_a, s) => (out(s).inverted ? 'INV' : 'NORM'),
    });
    this.on('[:SOURce#]:BURSt:STATe', {
      set: (a, s) => void (src(s).burst = parseBoolArg(a[0], 'burst state')),
      query: (_a, s) => (src(s).burst ? '1' : '0'),
    });
    this.on('[:SOURce#]:BURSt:MODE', {
      set: (a, s) => void (src(s).burstMode = parseEnumArg(a[0], ['TRIGgered', 'GATed'] as const, 'burst mode')),
      query: (_a, s) => (src(s).burstMode === 'TRIGgered' ? 'TRIG' : 'GAT'),
    });
    this.on('[:SOURce#]:BURSt:NCYCles', {
      set: (a, s) => void (src(s).burstCycles = parseIntArg(a[0], { min: 1, max: 1e8, def: 1, what: 'burst count' })),
      query: (_a, s) => String(src(s).burstCycles),
    });
    this.on(':FORMat:BORDer', {
      set: (a) => void (this.swapped = parseEnumArg(a[0], ['NORMal', 'SWAPped'] as const, 'byte order') === 'SWAPped'),
      query: () => (this.swapped ? 'SWAP' : 'NORM'),
    });
    this.on('[:SOURce#]:DATA:VOLatile:CLEar', { set: (_a, s) => void src(s).arbs.clear() });
    this.on('[:SOURce#]:FUNCtion:ARBitrary', {
      set: (a, s) => {
        const name = (a[0] ?? '').replace(/^"|"$/g, '').toUpperCase();
        if (!src(s).arbs.has(name)) throw Errors.illegalValue(`arbitrary waveform "${name}" is not in volatile memory`);
        src(s).arbName = name;
      },
      query: (_a, s) => `"${src(s).arbName ?? ''}"`,
    });
    this.on('[:SOURce#]:FUNCtion:ARBitrary:SRATe', {
      set: (a, s) => void (src(s).arbRateSa = parseNumberArg(a[0], { min: 1e-6, max: 250e6, what: 'sample rate' })),
      query: (_a, s) => String(src(s).arbRateSa),
    });
    this.on('[:SOURce#]:FUNCtion:ARBitrary:FILTer', { set: (a) => void parseEnumArg(a[0], ['NORMal', 'STEP', 'OFF'] as const, 'filter'), query: () => 'OFF' });
    const trig = (sfx: Suffixes) => this.ch(sfx, 'TRIGGER');
    this.on(':TRIGger#:SOURce', {
      set: (a, s) => void (trig(s).triggerSource = parseEnumArg(a[0], ['IMMediate', 'EXTernal', 'BUS', 'TIMer'] as const, 'trigger source')),
      query: (_a, s) => trig(s).triggerSource.replace(/[a-z]+$/, ''),
    });
    this.on(':TRIGger#:DELay', {
      set: (a, s) => void (trig(s).triggerDelayS = parseNumberArg(a[0], { min: 0, max: 1000, what: 'trigger delay' })),
      query: (_a, s) => String(trig(s).triggerDelayS),
    });
    this.on(':TRIGger#[:IMMediate]', { set: (_a, s) => this.fire(s.TRIGGER ?? 1, 'IMMediate') });
  }

  protected override busTrigger(): void {
    this.fire(1, 'BUS');
    this.fire(2, 'BUS');
    const end = Math.max(0, ...this.scheduled.map((p) => p.endS));
    const now = this.host?.nowS() ?? 0;
    if (end > now) this.host?.advance(end - now);
  }

  /** The rear-panel Ext Trig input saw an edge. */
  externalTrigger(): void {
    this.fire(1, 'EXTernal');
    this.fire(2, 'EXTernal');
  }

  private fire(n: number, source: Channel['triggerSource']): void {
    const c = this.channels[n - 1];
    if (source !== 'IMMediate' && c.triggerSource !== source) return;
    if (!c.output || !c.burst || c.burstMode !== 'TRIGgered') return;
    const t0 = (this.host?.nowS() ?? 0) + c.triggerDelayS;
    if (c.func === 'ARB') {
      const arb = c.arbName ? c.arbs.get(c.arbName) : undefined;
      if (!arb) return;
      // Sample-and-hold steps (filter OFF); −1…+1 spans the low…high levels; equal neighbours merged.
      const dt = 1 / c.arbRateSa;
      const level = (v: number) => c.lowV + ((v + 1) / 2) * (c.highV - c.lowV);
      for (let r = 0; r < c.burstCycles; r++) {
        const base = t0 + r * arb.length * dt;
        let k = 0;
        while (k < arb.length) {
          let j = k + 1;
          while (j < arb.length && arb[j] === arb[k]) j++;
          this.scheduled.push({ channel: n, startS: base + k * dt, endS: base + j * dt, levelV: level(arb[k]) });
          k = j;
        }
      }
      return;
    }
    if (c.func !== 'PULSe') return;
    const level = c.inverted ? c.lowV : c.highV;
    for (let k = 0; k < c.burstCycles; k++) {
      const start = t0 + k * c.periodS;
      this.scheduled.push({ channel: n, startS: start, endS: start + c.widthS, levelV: level });
    }
  }

  /** Pulses that overlap [t0, t1), clipped to it; consumes the finished ones. */
  pulsesBetween(t0: number, t1: number): GeneratedPulse[] {
    const out: GeneratedPulse[] = [];
    for (const p of this.scheduled) {
      if (p.endS > t0 && p.startS < t1) out.push({ channel: p.channel, startS: Math.max(p.startS, t0), endS: Math.min(p.endS, t1), levelV: p.levelV });
    }
    this.scheduled = this.scheduled.filter((p) => p.endS > t1);
    for (const [ci, c] of this.channels.entries()) {
      if (!c.output || c.burst || c.func !== 'PULSe') continue;
      // Free-running pulse train since the output was switched on.
      const level = c.inverted ? c.lowV : c.highV;
      let k = Math.max(0, Math.floor((t0 - c.outputOnAtS) / c.periodS));
      for (; ; k++) {
        const start = c.outputOnAtS + k * c.periodS;
        if (start >= t1) break;
        const end = start + c.widthS;
        if (end > t0) out.push({ channel: ci + 1, startS: Math.max(start, t0), endS: Math.min(end, t1), levelV: level });
      }
    }
    return out.sort((x, y) => x.startS - y.startS);
  }

  /** The level a channel plays at time t (0 between pulses and when off): what a TTL-gated light source sees. */
  levelAt(channel: 1 | 2, tS: number): number {
    const c = this.channels[channel - 1];
    if (!c.output) return 0;
    const p = this.scheduled.find((x) => x.channel === channel && x.startS <= tS && tS < x.endS);
    if (p) return p.levelV;
    if (!c.burst && c.func === 'PULSe' && tS >= c.outputOnAtS) {
      const phase = (tS - c.outputOnAtS) % c.periodS;
      if (phase < c.widthS) return c.inverted ? c.lowV : c.highV;
    }
    return 0;
  }

  /** Drop everything and switch both outputs off (process exit, fault injection). */
  forceOutputsOff(): void {
    for (const c of this.channels) c.output = false;
    this.scheduled = [];
  }

  isOutputOn(channel: 1 | 2): boolean {
    return this.channels[channel - 1].output;
  }
}
