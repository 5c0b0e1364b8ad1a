// Simulated Tektronix AFG31000 and Keysight 81160A: the 33522B's channel model and
// scheduling (drivers/sim/keysight33500b.ts) behind each family's own SCPI forms (as read
// in PyMeasure's drivers and Tektronix's AFG31000 example, instruments.md §2.2–2.3), so a
// run on either drives the simulated device the same way. Being built on the 33522B, they
// also accept its forms; the golden-sequence tests check what the drivers send.
// Unconfirmed: the exact *IDN? texts, and that the AFG31000 trigger source is global.

import { Errors, type Suffixes } from '../scpi/command-tree.ts';
import { parseBoolArg, parseEnumArg, parseIntArg, parseNumberArg } from '../scpi/arguments.ts';
import { type Channel, SimKeysight33500B } from './keysight33500b.ts';

function width(c: Channel, v: number): void {
  if (v >= c.periodS) throw Errors.settingsConflict(`pulse width ${v} s must be shorter than the period ${c.periodS} s`);
  c.widthS = v;
}

export class SimTektronixAfg31000 extends SimKeysight33500B {
  override readonly model = 'Tektronix AFG31252';

  constructor() {
    super('NPSIMAFG31');
    const src = (s: Suffixes) => this.ch(s, 'SOURCE');
    const out = (s: Suffixes) => this.ch(s, 'OUTPUT');
    this.on('[:SOURce#]:PULSe:PERiod', { set: (a, s) => void (src(s).periodS = parseNumberArg(a[0], { min: 20e-9, max: 1000, what: 'pulse period' })), query: (_a, s) => String(src(s).periodS) });
    this.on('[:SOURce#]:PULSe:WIDTh', { set: (a, s) => width(src(s), parseNumberArg(a[0], { min: 8e-9, max: 999, what: 'pulse width' })), query: (_a, s) => String(src(s).widthS) });
    this.on('[:SOURce#]:VOLTage[:LEVel][:IMMediate]:HIGH', { set: (a, s) => void (src(s).highV = parseNumberArg(a[0], { min: -this.maxLevel(src(s)), max: this.maxLevel(src(s)), what: 'high level' })), query: (_a, s) => String(src(s).highV) });
    this.on('[:SOURce#]:VOLTage[:LEVel][:IMMediate]:LOW', { set: (a, s) => void (src(s).lowV = parseNumberArg(a[0], { min: -this.maxLevel(src(s)), max: this.maxLevel(src(s)), what: 'low level' })), query: (_a, s) => String(src(s).lowV) });
    this.on(':OUTPut#:IMPedance', {
      set: (a, s) => {
        const u = (a[0] ?? '').toUpperCase();
        out(s).loadOhm = u.startsWith('INF') ? Infinity : parseNumberArg(a[0], { min: 1, max: 10_000, what: 'load impedance' });
      },
      query: (_a, s) => (out(s).loadOhm === Infinity ? '9.9E+37' : String(out(s).loadOhm)),
    });
    this.on(':TRIGger[:SEQuence]:SOURce', {
      set: (a) => {
        const v = parseEnumArg(a[0], ['EXTernal', 'TIMer', 'BUS'] as const, 'trigger source');
        for (const c of this.channels) c.triggerSource = v === 'TIMer' ? 'TIMer' : v;
      },
      query: () => (this.channels[0].triggerSource === 'EXTernal' ? 'EXT' : this.channels[0].triggerSource.replace(/[a-z]+$/, '')),
    });
  }

  protected override idn(): string {
    return `TEKTRONIX,AFG31252,${this.serial},SCPI:99.0 FV:1.5.2`;
  }

  protected override noErrorReply(): string {
    return '0,"No error"';
  }

  protected override formatError(e: { code: number; text: string }): string {
    return `${e.code},"${e.text}"`;
  }
}

export class SimKeysight81160A extends SimKeysight33500B {
  override readonly model = 'Keysight 81160A';

  constructor() {
    super('NPSIM81160');
    const ch = (s: Suffixes, key: string) => this.ch(s, key);
    this.on(':FUNCtion#', {
      set: (a, s) => {
        const f = parseEnumArg(a[0], ['SINusoid', 'SQUare', 'RAMP', 'PULSe', 'NOISe', 'DC', 'USER'] as const, 'function');
        ch(s, 'FUNCTION').func = f === 'USER' ? 'ARB' : f;
      },
      query: (_a, s) => ch(s, 'FUNCTION').func.replace(/[a-z]+$/, ''),
    });
    this.on(':PULSe:PERiod#', { set: (a, s) => void (ch(s, 'PERIOD').periodS = parseNumberArg(a[0], { min: 3.03e-9, max: 1e6, what: 'pulse period' })), query: (_a, s) => String(ch(s, 'PERIOD').periodS) });
    this.on(':PULSe:WIDTh#', { set: (a, s) => width(ch(s, 'WIDTH'), parseNumberArg(a[0], { min: 1.5e-9, max: 1e6, what: 'pulse width' })), query: (_a, s) => String(ch(s, 'WIDTH').widthS) });
    this.on(':VOLTage#:HIGH', { set: (a, s) => void (ch(s, 'VOLTAGE').highV = parseNumberArg(a[0], { min: -10, max: 10, what: 'high level' })), query: (_a, s) => String(ch(s, 'VOLTAGE').highV) });
    this.on(':VOLTage#:LOW', { set: (a, s) => void (ch(s, 'VOLTAGE').lowV = parseNumberArg(a[0], { min: -10, max: 10, what: 'low level' })), query: (_a, s) => String(ch(s, 'VOLTAGE').lowV) });
    this.on(':BURSt#:STATe', { set: (a, s) => void (ch(s, 'BURST').burst = parseBoolArg(a[0], 'burst state')), query: (_a, s) => (ch(s, 'BURST').burst ? '1' : '0') });
    this.on(':BURSt#:MODE', { set: (a, s) => void (ch(s, 'BURST').burstMode = parseEnumArg(a[0], ['TRIGgered', 'GATed'] as const, 'burst mode')), query: () => 'TRIG' });
    this.on(':BURSt#:NCYCles', { set: (a, s) => void (ch(s, 'BURST').burstCycles = parseIntArg(a[0], { min: 1, max: 1e6, what: 'burst count' })), query: (_a, s) => String(ch(s, 'BURST').burstCycles) });
    this.on(':ARM:SOURce#', {
      set: (a, s) => {
        // EXTernal1/EXT1 and EXTernal2/EXT2 name the two external inputs.
        const v = parseEnumArg((a[0] ?? '').replace(/^(EXT(?:ERNAL)?)[12]$/i, '$1'), ['IMMediate', 'EXTernal', 'MANual'] as const, 'arm source');
        ch(s, 'SOURCE').triggerSource = v.startsWith('EXT') ? 'EXTernal' : v === 'MANual' ? 'BUS' : 'IMMediate';
      },
      query: (_a, s) => (ch(s, 'SOURCE').triggerSource === 'EXTernal' ? 'EXT1' : 'IMM'),
    });
  }

  protected override idn(): string {
    return `Agilent Technologies,81160A,${this.serial},3.0.1.0`;
  }

  protected override noErrorReply(): string {
    return '0,"No error"';
  }

  protected override formatError(e: { code: number; text: string }): string {
    return `${e.code},"${e.text}"`;
  }
}
