// Simulated Keithley 2400 SourceMeter (SCPI; instruments.md §1.1). The subset a list
// sweep into the reading buffer uses, as PyMeasure's buffer code and Tektronix's list-sweep
// example drive it: source list (`:SOUR:LIST:VOLT`, up to 100 values per command and
// `:APPend` to 2500 points, both as the 2400 manual states), one source delay for every
// point, a measurement at every point, trigger count, the buffer fed with
// `:TRAC:FEED SENS` / `:TRAC:FEED:CONT NEXT`, buffer-full reported through the
// measurement event register (bit 9) and the status byte (MSB, MSS), `:TRAC:DATA?` with
// `:FORM:ELEM` fields. Single readings with `:READ?` / `:MEAS:CURR?`.
// Unconfirmed (our choices): the per-point overhead beyond delay + integration (0 here),
// the TIME element counting from power-on (or :SYST:TIME:RES) across sweeps, and the
// output holding the fixed-mode (bias) level between sweeps.

import { Errors, ScpiError } from '../scpi/command-tree.ts';
import { parseBoolArg, parseEnumArg, parseIntArg, parseNumberArg, requireArgs, unquote } from '../scpi/arguments.ts';
import { type ListReading, SimListSmu } from './list-smu.ts';

const MAX_LIST = 2500;
const MAX_PER_COMMAND = 100;
const BUFFER_FULL_BIT = 512;
const ELEMENTS = ['VOLTage', 'CURRent', 'RESistance', 'TIME', 'STATus'] as const;
type Element = (typeof ELEMENTS)[number];

export class SimKeithley2400 extends SimListSmu {
  readonly model = 'Keithley 2400';
  protected readonly currentRanges = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
  private mode: 'FIX' | 'LIST' = 'FIX';
  private list: number[] = [];
  private sourceDelayS = 0;
  private triggerCount = 1;
  private armCount = 1;
  private elements: Element[] = ['VOLTage', 'CURRent', 'RESistance', 'TIME', 'STATus'];
  private bufferSize = 100;
  private bufferFeed: 'SENS' | 'NONE' = 'NONE';
  private feedNext = false;
  private readonly buffer: ListReading[] = [];
  private measEvents = 0;
  private measEnable = 0;
  private sre = 0;
  private timeZeroS = 0;
  private autozero = true;

  constructor(private readonly serial = 'NPSIM2400') {
    super();
    this.on('*SRE', { set: (a) => void (this.sre = parseIntArg(a[0], { min: 0, max: 255, what: 'service request enable' })), query: () => String(this.sre) });
    this.on(':STATus:PRESet', { set: () => void (this.measEnable = 0) });
    this.on(':STATus:MEASurement:ENABle', { set: (a) => void (this.measEnable = parseIntArg(a[0], { min: 0, max: 65535, what: 'measurement enable' })), query: () => String(this.measEnable) });
    this.on(':STATus:MEASurement[:EVENt]', {
      query: () => {
        const v = this.measEvents;
        this.measEvents = 0;
        return String(v);
      },
    });
    this.registerSource();
    this.registerSense();
    this.registerTrigger();
  }

  protected idn(): string {
    return `KEITHLEY INSTRUMENTS INC.,MODEL 2400,${this.serial},C32   Oct  4 2010 14:20:11/A02  /S/K`;
  }

  protected reset(): void {
    this.resetSource();
    this.mode = 'FIX';
    this.list = [];
    this.sourceDelayS = 0;
    this.triggerCount = 1;
    this.armCount = 1;
    this.elements = ['VOLTage', 'CURRent', 'RESistance', 'TIME', 'STATus'];
    this.bufferFeed = 'NONE';
    this.feedNext = false;
    this.buffer.length = 0;
    this.autozero = true;
  }

  protected override clearStatus(): void {
    super.clearStatus();
    this.measEvents = 0;
  }

  /** MSB (bit 0) from the enabled measurement events, EAV (bit 2), and MSS (bit 6) when an enabled bit is set. */
  protected override statusByte(): number {
    let stb = super.statusByte();
    if (this.measEvents & this.measEnable) stb |= 1;
    if (stb & this.sre) stb |= 64;
    return stb;
  }

  private setList(a: string[], append: boolean): void {
    requireArgs(a, 1);
    if (a.length > MAX_PER_COMMAND) throw Errors.illegalValue(`${a.length} list values in one command (at most ${MAX_PER_COMMAND})`);
    const values = a.map((x) => parseNumberArg(x, { min: -210, max: 210, what: 'list voltage' }));
    const next = append ? [...this.list, ...values] : values;
    if (next.length > MAX_LIST) throw Errors.illegalValue(`source list of ${next.length} points (at most ${MAX_LIST})`);
    this.list = next;
  }

  private registerSource(): void {
    this.on(':SOURce#:FUNCtion[:MODE]', {
      set: (a) => {
        if (parseEnumArg(a[0], ['VOLTage', 'CURRent'] as const, 'source function') !== 'VOLTage') throw Errors.illegalValue('only the voltage source is simulated');
      },
      query: () => 'VOLT',
    });
    this.on(':SOURce#:VOLTage:MODE', {
      set: (a) => {
        const m = parseEnumArg(a[0], ['FIXed', 'LIST', 'SWEep'] as const, 'source mode');
        if (m === 'SWEep') throw Errors.illegalValue('staircase sweeps are not simulated (use LIST)');
        this.mode = m === 'LIST' ? 'LIST' : 'FIX';
      },
      query: () => this.mode,
    });
    this.on(':SOURce#:LIST:VOLTage:APPend', { set: (a) => this.setList(a, true) });
    this.on(':SOURce#:LIST:VOLTage:POINts', { query: () => String(this.list.length) });
    this.on(':SOURce#:LIST:VOLTage', { set: (a) => this.setList(a, false), query: () => this.list.join(',') });
    this.on(':SOURce#:VOLTage[:LEVel][:IMMediate][:AMPLitude]', {
      set: (a) => void (this.levelV = parseNumberArg(a[0], { min: -210, max: 210, def: 0, what: 'source voltage' })),
      query: () => String(this.levelV),
    });
    this.on(':SOURce#:VOLTage:RANGe:AUTO', { set: (a) => void parseBoolArg(a[0], 'source autorange') });
    this.on(':SOURce#:VOLTage:RANGe', { set: (a) => void parseNumberArg(a[0], { min: -210, max: 210, what: 'source range' }) });
    this.on(':SOURce#:DELay:AUTO', { set: (a) => void parseBoolArg(a[0], 'auto delay'), query: () => '0' });
    this.on(':SOURce#:DELay', {
      set: (a) => void (this.sourceDelayS = parseNumberArg(a[0], { min: 0, max: 9999.999, what: 'source delay' })),
      query: () => String(this.sourceDelayS),
    });
    this.on(':SOURce#:CLEar:AUTO', { set: (a) => void parseBoolArg(a[0], 'auto output-off') });
    this.on(':OUTPut#[:STATe]', {
      set: (a) => {
        this.output = parseBoolArg(a[0], 'output');
        if (!this.output) this.program.abort();
      },
      query: () => (this.output ? '1' : '0'),
    });
  }

  private registerSense(): void {
    this.on(':SENSe#:FUNCtion[:ON]', {
      set: (a) => {
        requireArgs(a, 1);
        for (const f of a) if (!/^CURR(ENT)?(:DC)?$/i.test(unquote(f))) throw Errors.illegalValue(`sense function ${f} is not simulated (only "CURR")`);
      },
      query: () => '"CURR:DC"',
    });
    this.on(':SENSe#:CURRent[:DC]:PROTection[:LEVel]', {
      set: (a) => void (this.limitA = parseNumberArg(a[0], { min: 1e-9, max: 1.05, def: 1.05e-4, what: 'current compliance' })),
      query: () => String(this.limitA),
    });
    this.on(':SENSe#:CURRent[:DC]:NPLCycles', {
      set: (a) => void (this.nplc = parseNumberArg(a[0], { min: 0.01, max: 10, def: 1, what: 'NPLC' })),
      query: () => String(this.nplc),
    });
    this.on(':SENSe#:CURRent[:DC]:RANGe:AUTO', { set: (a) => void (this.iRangeAuto = parseBoolArg(a[0], 'current autorange')), query: () => (this.iRangeAuto ? '1' : '0') });
    this.on(':SENSe#:CURRent[:DC]:RANGe[:UPPer]', { set: (a) => this.setCurrentRange(parseNumberArg(a[0], { min: 1e-6, max: 1.05, what: 'current range' })), query: () => String(this.iRange) });
    this.on(':SYSTem:LFRequency', { query: () => String(this.lineFrequencyHz) });
    this.on(':SYSTem:AZERo[:STATe]', { set: (a) => void (this.autozero = parseBoolArg(a[0], 'autozero')), query: () => (this.autozero ? '1' : '0') });
    this.on(':SYSTem:TIME:RESet', { set: () => void (this.timeZeroS = this.bench.nowS()) });
    this.on(':FORMat:ELEMents[:SENSe1]', {
      set: (a) => {
        requireArgs(a, 1);
        this.elements = a.map((e) => parseEnumArg(e, ELEMENTS, 'format element'));
      },
      query: () => this.elements.map((e) => e.replace(/[a-z]+$/, '')).join(','),
    });
    this.on(':FORMat[:DATA]', { set: (a) => void parseEnumArg(a[0], ['ASCii'] as const, 'data format (only ASCII is simulated)') });
    this.on(':READ', { query: () => this.singleReading() });
    this.on(':MEASure:CURRent[:DC]', { query: () => this.singleReading() });
    this.on(':TRACe:CLEar', { set: () => void (this.buffer.length = 0) });
    this.on(':TRACe:POINts', { set: (a) => void (this.bufferSize = parseIntArg(a[0], { min: 1, max: MAX_LIST, what: 'buffer size' })), query: () => String(this.bufferSize) });
    this.on(':TRACe:POINts:ACTual', { query: () => String(this.buffer.length) });
    this.on(':TRACe:FEED', { set: (a) => void (this.bufferFeed = parseEnumArg(a[0], ['SENSe', 'NONE'] as const, 'buffer feed') === 'SENSe' ? 'SENS' : 'NONE') });
    this.on(':TRACe:FEED:CONTrol', { set: (a) => void (this.feedNext = parseEnumArg(a[0], ['NEXT', 'NEVer'] as const, 'buffer control') === 'NEXT') });
    this.on(':TRACe:DATA', { query: () => this.buffer.map((r) => this.format(r)).join(',') });
  }

  private registerTrigger(): void {
    this.on(':TRIGger:COUNt', { set: (a) => void (this.triggerCount = parseIntArg(a[0], { min: 1, max: MAX_LIST, what: 'trigger count' })), query: () => String(this.triggerCount) });
    this.on(':ARM:COUNt', { set: (a) => void (this.armCount = parseIntArg(a[0], { min: 1, max: MAX_LIST, what: 'arm count' })), query: () => String(this.armCount) });
    this.on(':TRIGger:SOURce', { set: (a) => void parseEnumArg(a[0], ['IMMediate'] as const, 'trigger source (only IMMediate is simulated)') });
    this.on(':ARM:SOURce', { set: (a) => void parseEnumArg(a[0], ['IMMediate'] as const, 'arm source (only IMMediate is simulated)') });
    this.on(':TRIGger:DELay', { set: (a) => void parseNumberArg(a[0], { min: 0, max: 0, what: 'trigger delay (only 0 is simulated)' }) });
    this.on(':INITiate[:IMMediate]', { set: () => this.initiate() });
    this.on(':ABORt', { set: () => this.program.abort() });
  }

  private format(r: ListReading): string {
    return this.elements
      .map((e) => {
        switch (e) {
          case 'VOLTage':
            return String(r.voltageV);
          case 'CURRent':
            return String(r.currentA);
          case 'RESistance':
            return '9.91e37';
          case 'TIME':
            return String(r.tS - this.timeZeroS);
          case 'STATus':
            return '0';
        }
      })
      .join(',');
  }

  private singleReading(): string {
    if (this.program.isRunning) throw Errors.settingsConflict('a sweep is running');
    if (!this.output) throw new ScpiError(803, 'Output disabled'); // the 2400's own code (unconfirmed)
    return this.format(this.measure());
  }

  private initiate(): void {
    if (this.program.isRunning) throw Errors.settingsConflict('a sweep is already running');
    if (!this.output) throw Errors.settingsConflict('output is off; turn it on before :INIT');
    const points = this.triggerCount * this.armCount;
    if (this.mode === 'LIST' && points < this.list.length) throw Errors.settingsConflict(`arm × trigger count ${points} is less than the ${this.list.length} list points`);
    const levels = this.mode === 'LIST' ? Array.from({ length: points }, (_, i) => this.list[i % this.list.length]) : Array(points).fill(this.levelV);
    const bias = this.levelV;
    const self = this;
    this.program.start(
      (function* () {
        yield* self.listSteps(levels, self.sourceDelayS, (r) => {
          if (self.bufferFeed === 'SENS' && self.feedNext && self.buffer.length < self.bufferSize) {
            self.buffer.push(r);
            if (self.buffer.length === self.bufferSize) {
              self.measEvents |= BUFFER_FULL_BIT;
              self.feedNext = false;
            }
          }
        });
        self.levelV = bias; // back to the fixed-mode level after the sweep
      })(),
    );
  }
}
