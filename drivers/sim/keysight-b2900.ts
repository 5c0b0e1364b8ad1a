// Simulated Keysight B2901A/B2902A SMU, channel 1 (SCPI; instruments.md §1.4). The subset
// of a timer-triggered list sweep: source list, trigger source TIMer with one period,
// transient and acquire delays, trigger count, the trace buffer (`:TRAC:FEED SENS`,
// `:TRAC:FEED:CONT NEXT`), the measurement status condition register (Ch1 Buffer Full =
// bit 4, from the B2900 SCPI Command Reference, Table 4-5), and `:FETC:ARR:<elem>? (@1)`.
// Channel lists `(@1)` are accepted; channel 2 is not simulated.
// Unconfirmed (our choices): 2500 list points, the TIME element counting from power-on
// (not from each sweep's start), the output returning to the immediate level
// after a sweep, `:SYST:LFR?` answering the mains frequency, and an acquisition that does
// not fit its timer period being reported as -230 (the real one sets an "event lost" bit).

import { Errors, ScpiError } from '../scpi/command-tree.ts';
import { parseBoolArg, parseEnumArg, parseIntArg, parseNumberArg, requireArgs, unquote } from '../scpi/arguments.ts';
import { type ListReading, SimListSmu } from './list-smu.ts';

const MAX_LIST = 2500;
const BUFFER_FULL_CH1 = 16;
const BUFFER_AVAILABLE_CH1 = 8;

/** `(@1)` or `(@1,2)` → the channels; absent → channel 1. */
function channels(arg: string | undefined): number[] {
  if (arg === undefined) return [1];
  const m = /^\(@([\d,:\s]+)\)$/.exec(arg.trim());
  if (!m) throw Errors.illegalValue(`channel list ${arg}`);
  const chs = m[1].split(',').map((x) => Number(x.trim()));
  if (chs.some((c) => c !== 1)) throw Errors.illegalValue(`channel list ${arg} (only channel 1 is simulated)`);
  return chs;
}

export class SimKeysightB2900 extends SimListSmu {
  readonly model = 'Keysight B2902A';
  protected readonly currentRanges = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1.5, 3];
  private mode: 'FIX' | 'LIST' = 'FIX';
  private list: number[] = [];
  private triggerSource: 'AINT' | 'TIM' | 'BUS' = 'AINT';
  private periodS = 1e-3;
  private triggerCount = 1;
  private tranDelayS = 0;
  private acqDelayS = 0;
  private feedNext = false;
  private bufferSize = 100_000;
  private readonly buffer: ListReading[] = [];

  constructor(private readonly serial = 'NPSIMB2902') {
    super();
    this.register();
  }

  protected idn(): string {
    return `Keysight Technologies,B2902A,${this.serial},3.4.2011.5100`;
  }

  protected override noErrorReply(): string {
    return '+0,"No error"';
  }

  protected override formatError(e: ScpiError): string {
    return `${e.code >= 0 ? '+' : ''}${e.code},"${e.text}"`;
  }

  protected reset(): void {
    this.resetSource();
    this.mode = 'FIX';
    this.list = [];
    this.triggerSource = 'AINT';
    this.periodS = 1e-3;
    this.triggerCount = 1;
    this.tranDelayS = 0;
    this.acqDelayS = 0;
    this.feedNext = false;
    this.buffer.length = 0;
  }

  private register(): void {
    this.on(':SOURce#:FUNCtion:MODE', {
      set: (a) => {
        if (parseEnumArg(a[0], ['VOLTage', 'CURRent'] as const, 'source function') !== 'VOLTage') throw Errors.illegalValue('only the voltage source is simulated');
      },
      query: () => 'VOLT',
    });
    this.on(':SOURce#:VOLTage:MODE', { set: (a) => void (this.mode = parseEnumArg(a[0], ['FIXed', 'LIST'] as const, 'source mode') === 'LIST' ? 'LIST' : 'FIX'), query: () => this.mode });
    this.on(':SOURce#:LIST:VOLTage[:DATA]', {
      set: (a) => {
        requireArgs(a, 1);
        if (a.length > MAX_LIST) throw Errors.illegalValue(`source list of ${a.length} points (at most ${MAX_LIST})`);
        this.list = a.map((x) => parseNumberArg(x, { min: -210, max: 210, what: 'list voltage' }));
      },
      query: () => this.list.join(','),
    });
    this.on(':SOURce#:LIST:VOLTage:POINts', { query: () => String(this.list.length) });
    this.on(':SOURce#:VOLTage[:LEVel][:IMMediate][:AMPLitude]', {
      set: (a) => void (this.levelV = parseNumberArg(a[0], { min: -210, max: 210, def: 0, what: 'source voltage' })),
      query: () => String(this.levelV),
    });
    this.on(':SOURce#:VOLTage:RANGe:AUTO', { set: (a) => void parseBoolArg(a[0], 'source autorange') });
    this.on(':SOURce#:VOLTage:RANGe', { set: (a) => void parseNumberArg(a[0], { min: -210, max: 210, what: 'source range' }) });
    this.on(':SENSe#:FUNCtion[:ON]', {
      set: (a) => {
        requireArgs(a, 1);
        for (const f of a) if (!/^(CURR(ENT)?|VOLT(AGE)?)$/i.test(unquote(f))) throw Errors.illegalValue(`sense function ${f} is not simulated`);
      },
    });
    this.on(':SENSe#:CURRent[:DC]:PROTection[:LEVel]', {
      set: (a) => void (this.limitA = parseNumberArg(a[0], { min: 1e-9, max: 3.03, def: 1e-4, what: 'current compliance' })),
      query: () => String(this.limitA),
    });
    this.on(':SENSe#:CURRent[:DC]:NPLCycles', { set: (a) => void (this.nplc = parseNumberArg(a[0], { min: 4e-4, max: 100, def: 1, what: 'NPLC' })), query: () => String(this.nplc) });
    this.on(':SENSe#:CURRent[:DC]:RANGe:AUTO', { set: (a) => void (this.iRangeAuto = parseBoolArg(a[0], 'current autorange')), query: () => (this.iRangeAuto ? '1' : '0') });
    this.on(':SENSe#:CURRent[:DC]:RANGe[:UPPer]', { set: (a) => this.setCurrentRange(parseNumberArg(a[0], { min: 1e-7, max: 3.03, what: 'current range' })), query: () => String(this.iRange) });
    this.on(':TRIGger#:SOURce', {
      set: (a) => {
        const s = parseEnumArg(a[0], ['AINT', 'TIMer', 'BUS'] as const, 'trigger source');
        this.triggerSource = s === 'TIMer' ? 'TIM' : s;
      },
      query: () => this.triggerSource,
    });
    this.on(':TRIGger#:TIMer', { set: (a) => void (this.periodS = parseNumberArg(a[0], { min: 1e-5, max: 1e5, what: 'trigger timer' })), query: () => String(this.periodS) });
    this.on(':TRIGger#:COUNt', { set: (a) => void (this.triggerCount = parseIntArg(a[0], { min: 1, max: 100_000, what: 'trigger count' })), query: () => String(this.triggerCount) });
    this.on(':TRIGger#:TRANsient:DELay', { set: (a) => void (this.tranDelayS = parseNumberArg(a[0], { min: 0, max: 100, what: 'transient delay' })) });
    this.on(':TRIGger#:ACQuire:DELay', { set: (a) => void (this.acqDelayS = parseNumberArg(a[0], { min: 0, max: 100, what: 'acquire delay' })) });
    this.on(':FORMat:ELEMents:SENSe', { set: (a) => void requireArgs(a, 1) });
    this.on(':TRACe#:FEED:CONTrol', { set: (a) => void (this.feedNext = parseEnumArg(a[0], ['NEXT', 'NEVer'] as const, 'buffer control') === 'NEXT') });
    this.on(':TRACe#:FEED', { set: (a) => void parseEnumArg(a[0], ['SENSe'] as const, 'buffer feed') });
    this.on(':TRACe#:CLEar', { set: () => void (this.buffer.length = 0) });
    this.on(':TRACe#:POINts', { set: (a) => void (this.bufferSize = parseIntArg(a[0], { min: 1, max: 100_000, what: 'buffer size' })), query: () => String(this.bufferSize) });
    this.on(':TRACe#:POINts:ACTual', { query: () => String(this.buffer.length) });
    this.on(':STATus:MEASurement:CONDition', {
      query: () => String((this.buffer.length ? BUFFER_AVAILABLE_CH1 : 0) | (this.buffer.length >= this.bufferSize ? BUFFER_FULL_CH1 : 0)),
    });
    this.on(':SYSTem:LFRequency', { query: () => String(this.lineFrequencyHz) });
    this.on(':OUTPut#[:STATe]', {
      set: (a) => {
        this.output = parseBoolArg(a[0], 'output');
        if (!this.output) this.program.abort();
      },
      query: () => (this.output ? '1' : '0'),
    });
    this.on(':INITiate[:IMMediate][:ALL]', { set: (a) => this.initiate(channels(a[0])) });
    this.on(':ABORt[:ALL]', { set: (a) => void (channels(a[0]), this.program.abort()) });
    const array = (pick: (r: ListReading) => number) => ({
      query: (a: string[]) => {
        channels(a[0]);
        return this.buffer.map((r) => String(pick(r))).join(',');
      },
    });
    this.on(':FETCh:ARRay:CURRent', array((r) => r.currentA));
    this.on(':FETCh:ARRay:VOLTage', array((r) => r.voltageV));
    this.on(':FETCh:ARRay:TIME', array((r) => r.tS));
    this.on(':MEASure:CURRent[:DC]', {
      query: (a) => {
        channels(a[0]);
        if (this.program.isRunning) throw Errors.settingsConflict('a sweep is running');
        if (!this.output) throw Errors.settingsConflict('output is off');
        return String(this.measure().currentA);
      },
    });
  }

  private initiate(_chs: number[]): void {
    if (this.program.isRunning) throw Errors.settingsConflict('a sweep is already running');
    if (!this.output) throw Errors.settingsConflict('output is off; turn it on before :INIT');
    if (this.triggerSource !== 'TIM') throw Errors.settingsConflict('only timer-triggered sweeps are simulated (:TRIG:SOUR TIM)');
    if (this.tranDelayS !== 0) throw Errors.settingsConflict('only a zero transient delay is simulated');
    const n = this.triggerCount;
    if (this.mode === 'LIST' && n !== this.list.length) throw Errors.settingsConflict(`trigger count ${n} differs from the ${this.list.length} list points`);
    const tailS = this.periodS - this.acqDelayS - this.apertureS;
    if (tailS < -1e-12) throw new ScpiError(-230, 'Data corrupt or stale; acquisition longer than the trigger timer period');
    const levels = this.mode === 'LIST' ? [...this.list] : Array(n).fill(this.levelV);
    const bias = this.levelV;
    const self = this;
    this.program.start(
      (function* () {
        yield* self.listSteps(levels, self.acqDelayS, (r) => {
          if (self.feedNext && self.buffer.length < self.bufferSize) self.buffer.push(r);
        }, Math.max(0, tailS));
        self.levelV = bias;
      })(),
    );
  }
}
