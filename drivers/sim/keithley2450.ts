// Simulated Keithley 2450 SMU in its native SCPI language (instruments.md §1.2).
// Implements the subset NeuroProbe and common client libraries use: source/sense
// set-up, limits and ranges, single measurements, reading buffers, source
// configuration lists and the trigger model (the 2450's hardware-timed mechanism),
// digital-line trigger outputs, and the error queue.
// Confirmed in the 2450 reference manual (2450-901-01 Rev. B): the :TRIGger:STATe? reply
// layout (`IDLE;IDLE;9`: state, state, last block) and defbuffer1 filling continuously
// (oldest readings overwritten). Unconfirmed (our guesses): the default current limit
// (105 µA), defbuffer1 capacity (100 000), the `REL` element being relative to the
// buffer's first reading, and a measurement with the output off being refused (-221).

import { Errors, ScpiError, type Suffixes } from '../scpi/command-tree.ts';
import { parseBoolArg, parseEnumArg, parseIntArg, parseNumberArg, requireArgs, unquote } from '../scpi/arguments.ts';
import type { BenchEnvironment, SmuDrive } from './environment.ts';
import { ScpiInstrument } from './scpi-instrument.ts';
import { PacedProgram } from './paced.ts';

export const OVERFLOW = 9.9e37;
const V_RANGES = [0.02, 0.2, 2, 20, 200];
const I_RANGES = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
const OVERRANGE = 1.05;
const MAX_BLOCKS = 63;
const DEFAULT_BUFFER_CAPACITY = 100_000;

interface Reading {
  reading: number;
  source: number;
  tS: number;
}

interface ConfigEntry {
  func: 'VOLT' | 'CURR';
  level: number;
  limit: number;
}

type Block =
  | { type: 'BUFFER_CLEAR'; buffer: string }
  | { type: 'CONFIG_RECALL'; list: string; index: number }
  | { type: 'CONFIG_NEXT'; list: string }
  | { type: 'SOURCE_OUTPUT'; on: boolean }
  | { type: 'DELAY_CONSTANT'; delayS: number }
  | { type: 'MEASURE'; buffer: string; count: number }
  | { type: 'NOTIFY'; event: number }
  | { type: 'BRANCH_COUNTER'; count: number; target: number }
  | { type: 'BRANCH_ALWAYS'; target: number };

function rangeFor(value: number, ranges: number[]): number | null {
  for (const r of ranges) if (Math.abs(value) <= r * OVERRANGE) return r;
  return null;
}

export class SimKeithley2450 extends ScpiInstrument {
  readonly model = 'Keithley 2450';
  private env: BenchEnvironment | null = null;

  private sourceFunc: 'VOLT' | 'CURR' = 'VOLT';
  private levelV = 0;
  private levelA = 0;
  private ilimitA = 105e-6;
  private vlimitV = 21;
  private vRangeAuto = true;
  private vRange = 0.2;
  private senseFunc = 'CURR:DC';
  private nplc = 1;
  private iRangeAuto = true;
  private iRange = 1e-4;
  private output = false;
  private tripped = false;
  /** Mains frequency the instrument measured at power-up (50 or 60 Hz; tests set 60). */
  lineFrequencyHz: 50 | 60 = 50;
  private autozero = true;
  private sourceDelayAuto = true;
  private readonly lists = new Map<string, ConfigEntry[]>();
  private readonly listIndex = new Map<string, number>();
  private readonly blocks = new Map<number, Block>();
  private readonly buffers = new Map<string, { capacity: number; data: Reading[] }>();
  private readonly digitalMode = new Map<number, string>();
  private readonly digitalStimulus = new Map<number, number>();
  private triggerState: 'IDLE' | 'RUNNING' | 'ABORTED' = 'IDLE';
  private readonly program = new PacedProgram(
    () => this.bench.nowS(),
    (e) => this.pushError(e),
  );
  private lastBlock = 0;

  constructor(private readonly serial = 'NPSIM2450') {
    super();
    this.resetBuffers();
    this.registerSource();
    this.registerSense();
    this.registerBuffers();
    this.registerTrigger();
  }

  attach(env: BenchEnvironment): void {
    this.env = env;
  }

  private get bench(): BenchEnvironment {
    if (!this.env) throw new Error('simulated Keithley 2450 is not wired to a bench');
    return this.env;
  }

  /** What the output forces on the device right now (the bench reads it while time passes). */
  drive(): SmuDrive {
    return { on: this.output, levelV: this.sourceFunc === 'VOLT' ? this.levelV : 0, limitA: this.ilimitA };
  }

  protected idn(): string {
    return `KEITHLEY INSTRUMENTS,MODEL 2450,${this.serial},1.7.12b`;
  }

  protected reset(): void {
    this.sourceFunc = 'VOLT';
    this.levelV = 0;
    this.levelA = 0;
    this.ilimitA = 105e-6;
    this.vlimitV = 21;
    this.vRangeAuto = true;
    this.vRange = 0.2;
    this.senseFunc = 'CURR:DC';
    this.nplc = 1;
    this.iRangeAuto = true;
    this.iRange = 1e-4;
    this.output = false;
    this.tripped = false;
    this.lists.clear();
    this.listIndex.clear();
    this.blocks.clear();
    this.digitalMode.clear();
    this.digitalStimulus.clear();
    this.triggerState = 'IDLE';
    this.program.abort();
    this.resetBuffers();
  }

  private resetBuffers(): void {
    this.buffers.clear();
    this.buffers.set('DEFBUFFER1', { capacity: DEFAULT_BUFFER_CAPACITY, data: [] });
    this.buffers.set('DEFBUFFER2', { capacity: DEFAULT_BUFFER_CAPACITY, data: [] });
  }

  private buffer(arg: string | undefined): { capacity: number; data: Reading[] } {
    const name = arg === undefined ? 'DEFBUFFER1' : unquote(arg).toUpperCase();
    const b = this.buffers.get(name);
    if (!b) throw Errors.illegalValue(`reading buffer ${arg} does not exist`);
    return b;
  }

  private setVoltageLevel(v: number): void {
    if (!this.vRangeAuto && Math.abs(v) > this.vRange * OVERRANGE) {
      throw Errors.dataOutOfRange(`source level ${v} V exceeds the ${this.vRange} V range`);
    }
    if (this.vRangeAuto) this.vRange = rangeFor(v, V_RANGES) ?? 200;
    this.levelV = v;
  }

  private registerSource(): void {
    this.on(':SOURce#:FUNCtion[:MODE]', {
      set: (a) => {
        if (this.output) throw Errors.settingsConflict('cannot change the source function with the output on');
        this.sourceFunc = parseEnumArg(a[0], ['VOLTage', 'CURRent'] as const, 'source function') === 'VOLTage' ? 'VOLT' : 'CURR';
      },
      query: () => this.sourceFunc,
    });
    this.on(':SOURce#:VOLTage[:LEVel][:IMMediate][:AMPLitude]', {
      set: (a) => this.setVoltageLevel(parseNumberArg(a[0], { min: -210, max: 210, def: 0, what: 'source voltage' })),
      query: () => String(this.levelV),
    });
    this.on(':SOURce#:CURRent[:LEVel][:IMMediate][:AMPLitude]', {
      set: (a) => {
        this.levelA = parseNumberArg(a[0], { min: -1.05, max: 1.05, def: 0, what: 'source current' });
      },
      query: () => String(this.levelA),
    });
    this.on(':SOURce#:VOLTage:ILIMit[:LEVel]:TRIPped', { query: () => (this.tripped ? '1' : '0') });
    this.on(':SOURce#:VOLTage:ILIMit[:LEVel]', {
      set: (a) => {
        this.ilimitA = parseNumberArg(a[0], { min: 1e-9, max: 1.05, def: 105e-6, what: 'current limit' });
      },
      query: () => String(this.ilimitA),
    });
    this.on(':SOURce#:CURRent:VLIMit[:LEVel]', {
      set: (a) => {
        this.vlimitV = parseNumberArg(a[0], { min: 0.02, max: 210, def: 21, what: 'voltage limit' });
      },
      query: () => String(this.vlimitV),
    });
    this.on(':SOURce#:VOLTage:RANGe:AUTO', {
      set: (a) => {
        this.vRangeAuto = parseBoolArg(a[0], 'source autorange');
      },
      query: () => (this.vRangeAuto ? '1' : '0'),
    });
    this.on(':SOURce#:VOLTage:RANGe', {
      set: (a) => {
        const r = rangeFor(parseNumberArg(a[0], { min: -210, max: 210, what: 'source voltage range' }), V_RANGES);
        if (r === null) throw Errors.dataOutOfRange('source voltage range');
        if (Math.abs(this.levelV) > r * OVERRANGE) throw Errors.settingsConflict(`level ${this.levelV} V exceeds range ${r} V`);
        this.vRange = r;
        this.vRangeAuto = false;
      },
      query: () => String(this.vRange),
    });
    this.on(':SOURce#:VOLTage:DELay:AUTO', { set: (a) => void (this.sourceDelayAuto = parseBoolArg(a[0], 'auto delay')), query: () => (this.sourceDelayAuto ? '1' : '0') });
    this.on(':SOURce#:VOLTage:DELay', { set: () => void (this.sourceDelayAuto = false), query: () => '0' });
    this.on(':SOURce#:VOLTage:READ:BACK', { set: (a) => void parseBoolArg(a[0], 'readback') });
    this.on(':OUTPut#[:STATe]', {
      set: (a) => {
        this.output = parseBoolArg(a[0], 'output state');
        if (!this.output) this.tripped = false;
      },
      query: () => (this.output ? '1' : '0'),
    });
    this.on(':OUTPut#:VOLTage:SMODe', { set: (a) => void parseEnumArg(a[0], ['HIMPedance', 'NORMal', 'ZERO', 'GUARd'] as const, 'off mode') });
    this.on(':OUTPut#:CURRent:SMODe', { set: (a) => void parseEnumArg(a[0], ['HIMPedance', 'NORMal', 'ZERO', 'GUARd'] as const, 'off mode') });
    this.on('*LANG', { query: () => 'SCPI' });
    this.on(':SYSTem:LFRequency', { query: () => String(this.lineFrequencyHz) });

    this.on(':SOURce#:CONFiguration:LIST:CREate', {
      set: (a) => {
        requireArgs(a, 1);
        const name = unquote(a[0]).toUpperCase();
        if (this.lists.has(name)) throw Errors.settingsConflict(`configuration list ${a[0]} already exists`);
        this.lists.set(name, []);
      },
    });
    this.on(':SOURce#:CONFiguration:LIST:STORe', {
      set: (a) => {
        const list = this.list(a[0]);
        const entry: ConfigEntry = {
          func: this.sourceFunc,
          level: this.sourceFunc === 'VOLT' ? this.levelV : this.levelA,
          limit: this.sourceFunc === 'VOLT' ? this.ilimitA : this.vlimitV,
        };
        if (a[1] !== undefined) {
          const idx = parseIntArg(a[1], { min: 1, max: list.length + 1, what: 'configuration list index' });
          list[idx - 1] = entry;
        } else list.push(entry);
      },
    });
    this.on(':SOURce#:CONFiguration:LIST:RECall', {
      set: (a) => this.recall(a[0], a[1] === undefined ? 1 : parseIntArg(a[1], { min: 1, max: 1e6, what: 'index' })),
    });
    this.on(':SOURce#:CONFiguration:LIST:SIZE', { query: (a) => String(this.list(a[0]).length) });
    this.on(':SOURce#:CONFiguration:LIST:DELete', {
      set: (a) => {
        this.list(a[0]);
        this.lists.delete(unquote(a[0]).toUpperCase());
      },
    });
    this.on(':SOURce#:CONFiguration:LIST:CATalog', { query: () => [...this.lists.keys()].map((k) => `"${k}"`).join(',') || '""' });
  }

  private list(arg: string | undefined): ConfigEntry[] {
    if (arg === undefined) throw Errors.missingParameter();
    const l = this.lists.get(unquote(arg).toUpperCase());
    if (!l) throw Errors.illegalValue(`configuration list ${arg} does not exist`);
    return l;
  }

  private recall(listArg: string | undefined, index: number): void {
    const list = this.list(listArg);
    const e = list[index - 1];
    if (!e) throw Errors.dataOutOfRange(`index ${index} of configuration list ${listArg} (size ${list.length})`);
    this.listIndex.set(unquote(listArg ?? '').toUpperCase(), index);
    this.sourceFunc = e.func;
    if (e.func === 'VOLT') {
      this.setVoltageLevel(e.level);
      this.ilimitA = e.limit;
    } else {
      this.levelA = e.level;
      this.vlimitV = e.limit;
    }
  }

  private registerSense(): void {
    this.on(':SENSe#:FUNCtion[:ON]', {
      set: (a) => {
        requireArgs(a, 1);
        const f = unquote(a[0]).toUpperCase();
        const map: Record<string, string> = { CURR: 'CURR:DC', 'CURR:DC': 'CURR:DC', CURRENT: 'CURR:DC', VOLT: 'VOLT:DC', 'VOLT:DC': 'VOLT:DC', VOLTAGE: 'VOLT:DC', RES: 'RES', RESISTANCE: 'RES' };
        const v = map[f];
        if (!v) throw Errors.illegalValue(`sense function ${a[0]}`);
        this.senseFunc = v;
      },
      query: () => `"${this.senseFunc}"`,
    });
    for (const fn of ['CURRent[:DC]', 'VOLTage[:DC]', 'RESistance']) {
      this.on(`:SENSe#:${fn}:NPLCycles`, {
        set: (a) => {
          this.nplc = parseNumberArg(a[0], { min: 0.01, max: 10, def: 1, what: 'NPLC' });
        },
        query: () => String(this.nplc),
      });
      this.on(`:SENSe#:${fn}:AZERo[:STATe]`, { set: (a) => void (this.autozero = parseBoolArg(a[0], 'autozero')), query: () => (this.autozero ? '1' : '0') });
      this.on(`:SENSe#:${fn}:RSENse`, { set: (a) => void parseBoolArg(a[0], 'remote sense') });
    }
    this.on(':SENSe#:CURRent[:DC]:RANGe[:UPPer]', {
      set: (a) => {
        const r = rangeFor(parseNumberArg(a[0], { min: 1e-8, max: 1.05, what: 'current measure range' }), I_RANGES);
        if (r === null) throw Errors.dataOutOfRange('current measure range');
        this.iRange = r;
        this.iRangeAuto = false;
      },
      query: () => String(this.iRange),
    });
    this.on(':SENSe#:CURRent[:DC]:RANGe:AUTO', {
      set: (a) => {
        this.iRangeAuto = parseBoolArg(a[0], 'current autorange');
      },
      query: () => (this.iRangeAuto ? '1' : '0'),
    });
    this.on(':SENSe#:AZERo:ONCE', { set: () => undefined });

    const single = (args: string[]): string => {
      const r = this.measureOnce(args[0]);
      return this.formatElements(r, args.slice(1), this.buffer(args[0]));
    };
    this.on(':READ', { query: single });
    this.on(':MEASure[:CURRent[:DC]]', { query: single });
    this.on(':MEASure:VOLTage[:DC]', { query: (a) => String(this.measureOnce(a[0]).source) });
    this.on(':FETCh', {
      query: (a) => {
        const b = this.buffer(a[0]);
        const last = b.data[b.data.length - 1];
        if (!last) throw Errors.settingsConflict('buffer is empty');
        return this.formatElements(last, a.slice(1), b);
      },
    });
  }

  /** Aperture of one measurement, s. */
  private get apertureS(): number {
    return this.nplc / this.lineFrequencyHz;
  }

  private measureOnce(bufferArg?: string): Reading {
    if (!this.output) throw Errors.settingsConflict('output is off; turn it on to measure');
    const r = this.measure();
    this.store(this.buffer(bufferArg), r);
    return r;
  }

  /** Integrates over the aperture (time passes at the present drive), then reads. */
  private measure(): Reading {
    const env = this.bench;
    env.advance(this.apertureS);
    const m = env.smuCurrentA();
    if (m.inCompliance) this.tripped = true;
    let reading = this.senseFunc === 'VOLT:DC' ? m.voltageV : m.currentA;
    if (this.senseFunc === 'CURR:DC') {
      if (this.iRangeAuto) this.iRange = rangeFor(reading, I_RANGES) ?? 1;
      else if (Math.abs(reading) > this.iRange * OVERRANGE) reading = OVERFLOW;
    } else if (this.senseFunc === 'RES') {
      reading = m.currentA !== 0 ? m.voltageV / m.currentA : OVERFLOW;
    }
    return { reading, source: m.voltageV, tS: env.nowS() };
  }

  private store(b: { capacity: number; data: Reading[] }, r: Reading): void {
    if (b.data.length >= b.capacity) b.data.shift();
    b.data.push(r);
  }

  private formatElements(r: Reading, elements: string[], b: { data: Reading[] }): string {
    if (elements.length === 0) return String(r.reading);
    const t0 = b.data[0]?.tS ?? r.tS;
    return elements.map((e) => this.element(r, e, t0)).join(',');
  }

  private static readonly ELEMENTS = ['READing', 'SOURce', 'RELative', 'SEConds', 'FRACtional', 'TSTamp'] as const;

  private parseElement(e: string): (typeof SimKeithley2450.ELEMENTS)[number] {
    return parseEnumArg(e, SimKeithley2450.ELEMENTS, 'buffer element');
  }

  private element(r: Reading, e: string, t0: number): string {
    return this.elementValue(r, this.parseElement(e), t0);
  }

  private elementValue(r: Reading, name: (typeof SimKeithley2450.ELEMENTS)[number], t0: number): string {
    switch (name) {
      case 'READing':
        return String(r.reading);
      case 'SOURce':
        return String(r.source);
      case 'RELative':
        return String(r.tS - t0);
      // The instrument clock: whole seconds and the fraction (virtual time since the bench started).
      case 'SEConds':
        return String(Math.floor(r.tS));
      case 'FRACtional':
        return String(r.tS - Math.floor(r.tS));
      case 'TSTamp':
        return new Date(Date.UTC(2026, 0, 1) + r.tS * 1000).toISOString();
    }
  }

  private registerBuffers(): void {
    this.on(':TRACe:ACTual', { query: (a) => String(this.buffer(a[0]).data.length) });
    this.on(':TRACe:POINts', {
      set: (a) => {
        const n = parseIntArg(a[0], { min: 10, max: 11_000_000, what: 'buffer capacity' });
        const b = this.buffer(a[1]);
        b.capacity = n;
        b.data.length = 0;
      },
      query: (a) => String(this.buffer(a[0]).capacity),
    });
    this.on(':TRACe:CLEar', { set: (a) => void (this.buffer(a[0]).data.length = 0) });
    this.on(':TRACe:MAKE', {
      set: (a) => {
        requireArgs(a, 2);
        const name = unquote(a[0]).toUpperCase();
        if (this.buffers.has(name)) throw Errors.settingsConflict(`buffer ${a[0]} exists`);
        this.buffers.set(name, { capacity: parseIntArg(a[1], { min: 10, max: 11_000_000, what: 'buffer size' }), data: [] });
      },
    });
    this.on(':TRACe:DATA', {
      query: (a) => {
        requireArgs(a, 2);
        const b = this.buffer(a[2]);
        const start = parseIntArg(a[0], { min: 1, max: Math.max(1, b.data.length), what: 'start index' });
        const end = parseIntArg(a[1], { min: start, max: Math.max(1, b.data.length), what: 'end index' });
        if (b.data.length === 0) throw Errors.settingsConflict('buffer is empty');
        const elems = (a.length > 3 ? a.slice(3) : ['READ']).map((e) => this.parseElement(e));
        const t0 = b.data[0].tS;
        const out: string[] = [];
        for (let i = start - 1; i < end; i++) for (const e of elems) out.push(this.elementValue(b.data[i], e, t0));
        return out.join(',');
      },
    });
  }

  private block(a: string[]): number {
    return parseIntArg(a[0], { min: 1, max: MAX_BLOCKS, what: 'trigger block number' });
  }

  private setBlock(a: string[], b: Block): void {
    this.blocks.set(this.block(a), b);
  }

  private registerTrigger(): void {
    this.on(':TRIGger:LOAD', {
      set: (a) => {
        requireArgs(a, 1);
        if (unquote(a[0]).toUpperCase() !== 'EMPTY') throw Errors.illegalValue(`predefined trigger model ${a[0]} is not simulated (only "Empty")`);
        this.blocks.clear();
      },
    });
    this.on(':TRIGger:BLOCk:BUFFer:CLEar', { set: (a) => this.setBlock(a, { type: 'BUFFER_CLEAR', buffer: a[1] ?? 'defbuffer1' }) });
    this.on(':TRIGger:BLOCk:CONFig:RECall', {
      set: (a) => {
        requireArgs(a, 2);
        this.list(a[1]);
        const index = a[2] === undefined ? 1 : parseIntArg(a[2], { min: 1, max: 1e6, what: 'list index' });
        this.setBlock(a, { type: 'CONFIG_RECALL', list: a[1], index });
      },
    });
    this.on(':TRIGger:BLOCk:CONFig:NEXT', {
      set: (a) => {
        requireArgs(a, 2);
        this.list(a[1]);
        this.setBlock(a, { type: 'CONFIG_NEXT', list: a[1] });
      },
    });
    this.on(':TRIGger:BLOCk:SOURce:STATe', {
      set: (a) => {
        requireArgs(a, 2);
        this.setBlock(a, { type: 'SOURCE_OUTPUT', on: parseBoolArg(a[1], 'source output') });
      },
    });
    this.on(':TRIGger:BLOCk:DELay:CONStant', {
      set: (a) => {
        requireArgs(a, 2);
        this.setBlock(a, { type: 'DELAY_CONSTANT', delayS: parseNumberArg(a[1], { min: 0, max: 1e5, what: 'delay' }) });
      },
    });
    this.on(':TRIGger:BLOCk:MEASure', {
      set: (a) => {
        requireArgs(a, 1);
        const count = a[2] === undefined ? 1 : parseIntArg(a[2], { min: 1, max: 1e7, what: 'measure count' });
        if (a[1] !== undefined) this.buffer(a[1]);
        this.setBlock(a, { type: 'MEASURE', buffer: a[1] ?? 'defbuffer1', count });
      },
    });
    this.on(':TRIGger:BLOCk:NOTify', {
      set: (a) => {
        requireArgs(a, 2);
        this.setBlock(a, { type: 'NOTIFY', event: parseIntArg(a[1], { min: 1, max: 8, what: 'notify event' }) });
      },
    });
    this.on(':TRIGger:BLOCk:BRANch:COUNter', {
      set: (a) => {
        requireArgs(a, 3);
        const count = parseIntArg(a[1], { min: 1, max: 2 ** 31 - 1, what: 'branch count' });
        const target = parseIntArg(a[2], { min: 1, max: MAX_BLOCKS, what: 'branch target' });
        this.setBlock(a, { type: 'BRANCH_COUNTER', count, target });
      },
    });
    this.on(':TRIGger:BLOCk:BRANch:ALWays', {
      set: (a) => {
        requireArgs(a, 2);
        this.setBlock(a, { type: 'BRANCH_ALWAYS', target: parseIntArg(a[1], { min: 1, max: MAX_BLOCKS, what: 'branch target' }) });
      },
    });
    this.on(':TRIGger:BLOCk:LIST', {
      query: () =>
        [...this.blocks.entries()]
          .sort((x, y) => x[0] - y[0])
          .map(([n, b]) => `${n}: ${b.type}`)
          .join(';'),
    });
    this.on(':TRIGger:STATe', { query: () => `${this.triggerState};${this.triggerState};${this.lastBlock}` });
    this.on(':INITiate[:IMMediate]', { set: () => this.runTriggerModel() });
    this.on(':ABORt', {
      set: () => {
        if (this.triggerState !== 'RUNNING') return;
        this.triggerState = 'ABORTED';
        this.program.abort();
      },
    });
    this.on(':DIGital:LINE#:MODE', {
      set: (a, sfx: Suffixes) => {
        requireArgs(a, 2);
        const line = sfx.LINE ?? 1;
        if (line < 1 || line > 6) throw Errors.illegalValue(`digital line ${line}`);
        const kind = parseEnumArg(a[0], ['DIGital', 'TRIGger', 'SYNChronous'] as const, 'line mode');
        const dir = parseEnumArg(a[1], ['IN', 'OUT', 'OPENdrain', 'MASTer', 'ACCeptor'] as const, 'line direction');
        this.digitalMode.set(line, `${kind}:${dir}`);
      },
    });
    // Tektronix's own 2450 examples spell this node OUT, not the SCPI short form OUTP.
    const stimulus = {
      set: (a: string[], sfx: Suffixes) => {
        requireArgs(a, 1);
        const m = /^NOT(?:IFY)?(\d)$/i.exec(a[0].trim());
        if (!m) throw Errors.illegalValue(`digital output stimulus ${a[0]} (only NOTify<n> is simulated)`);
        this.digitalStimulus.set(sfx.DIGITAL ?? 1, Number(m[1]));
      },
    };
    this.on(':TRIGger:DIGital#:OUT:STIMulus', stimulus);
    this.on(':TRIGger:DIGital#:OUTPut:STIMulus', stimulus);
  }

  /**
   * Starts the trigger model. Unpaced, it runs to completion at once (virtual time);
   * paced, it advances with wall-clock time as messages arrive, so a client sees a
   * train in progress, can poll it and can abort it (drivers/sim/paced.ts).
   */
  private runTriggerModel(): void {
    if (this.triggerState === 'RUNNING') throw Errors.settingsConflict('trigger model is already running');
    if (this.blocks.size === 0) throw Errors.settingsConflict('trigger model is empty');
    this.triggerState = 'RUNNING';
    this.program.start(this.triggerSteps());
  }

  override handleMessage(message: string): string | null {
    this.program.catchUp();
    return super.handleMessage(message);
  }

  /** The trigger model as a sequence of steps, yielding after each block that takes time. */
  private *triggerSteps(): Generator<void> {
    const env = this.bench;
    const counters = new Map<number, number>();
    let pc = Math.min(...this.blocks.keys());
    let steps = 0;
    try {
      while (this.triggerState === 'RUNNING') {
        const b = this.blocks.get(pc);
        if (!b) break;
        this.lastBlock = pc;
        if (++steps > 50_000_000) throw new ScpiError(-200, 'Execution error; trigger model step limit');
        let next = pc + 1;
        switch (b.type) {
          case 'BUFFER_CLEAR':
            this.buffer(b.buffer).data.length = 0;
            break;
          case 'CONFIG_RECALL':
            this.recall(b.list, b.index);
            break;
          case 'CONFIG_NEXT': {
            const key = unquote(b.list).toUpperCase();
            const size = this.list(b.list).length;
            this.recall(b.list, ((this.listIndex.get(key) ?? 0) % size) + 1);
            break;
          }
          case 'SOURCE_OUTPUT':
            this.output = b.on;
            break;
          case 'DELAY_CONSTANT':
            env.advance(b.delayS);
            yield;
            break;
          case 'MEASURE': {
            if (!this.output) throw Errors.settingsConflict('measure block reached with the output off');
            const buf = this.buffer(b.buffer);
            for (let i = 0; i < b.count; i++) this.store(buf, this.measure());
            yield;
            break;
          }
          case 'NOTIFY':
            for (const [line, ev] of this.digitalStimulus) {
              if (ev === b.event && this.digitalMode.get(line) === 'TRIGger:OUT') env.smuDigitalOut(line);
            }
            break;
          case 'BRANCH_COUNTER': {
            const c = (counters.get(pc) ?? 0) + 1;
            counters.set(pc, c);
            if (c < b.count) next = b.target;
            break;
          }
          case 'BRANCH_ALWAYS':
            next = b.target;
            break;
        }
        pc = next;
      }
    } finally {
      if (this.triggerState === 'RUNNING') this.triggerState = 'IDLE';
    }
  }

  /** Virtual seconds per wall-clock second for the trigger model, or null to run unpaced. */
  setRealTimeFactor(factor: number | null): void {
    this.program.setRealTimeFactor(factor);
  }

  /** Host-side abort (the bench uses it for fault injection and process exit). */
  forceOutputOff(): void {
    this.output = false;
    this.levelV = 0;
  }

  // The state getters first bring a paced trigger model up to the present, as a message would.
  get isOutputOn(): boolean {
    this.program.catchUp();
    return this.output;
  }

  get sourceLevelV(): number {
    this.program.catchUp();
    return this.levelV;
  }

  /** Whether a trigger model is still playing (pulses still being applied). */
  get isTriggerRunning(): boolean {
    this.program.catchUp();
    return this.triggerState === 'RUNNING';
  }
}
