// Simulated Keysight InfiniiVision DSOX3024T (the subset a pulse capture uses): timebase
// (reference left/centre, scale, position), channel scale/offset/display/coupling, edge
// trigger on EXT, :SINGle/:RUN/:STOP, :OPER:COND? (bit 3 = Run), and the waveform
// subsystem (source, WORD/BYTE, byte order, unsigned, RAW points, :WAV:PRE?, :WAV:DATA? as
// a definite-length block). The bench feeds it samples of the device voltage and current
// while a capture is open; each sample goes through an 8-bit ADC with input noise.
// Samples before the trigger (a negative position) are the device as it sat when the
// trigger came (the bench keeps no history).

import { Errors, type Suffixes } from '../scpi/command-tree.ts';
import { encodeBlock } from '../scpi/block.ts';
import { parseBoolArg, parseEnumArg, parseIntArg, parseNumberArg } from '../scpi/arguments.ts';
import { Rng } from './rng.ts';
import { ScpiInstrument } from './scpi-instrument.ts';

interface ScopeChannel {
  display: boolean;
  scaleV: number;
  offsetV: number;
}

/** The capture the bench fills: sample k is at `startS + k·dtS` (bench time). */
export interface OpenCapture {
  startS: number;
  dtS: number;
  n: number;
  /** Next sample index to fill. */
  next: number;
}

export type ScopeProbe = 'voltage' | 'current';

const CHANNELS = 4;
const DIVS_X = 10;
const DIVS_Y = 8;

export class SimInfiniiVision extends ScpiInstrument {
  readonly model = 'Keysight DSOX3024T';
  private timeScaleS = 1e-3;
  private reference: 'LEFT' | 'CENTer' | 'RIGHt' = 'CENTer';
  private positionS = 0;
  private channels: ScopeChannel[] = [];
  private triggerSource = 'CHANnel1';
  private triggerLevelV = 0;
  private wavSource = 1;
  private wavFormat: 'WORD' | 'BYTE' | 'ASCii' = 'BYTE';
  private lsbFirst = false;
  private unsigned = true;
  private points = 1000;
  private state: 'stopped' | 'armed' | 'capturing' = 'stopped';
  private capture: OpenCapture | null = null;
  /** Volts per channel of the last (or current) capture, as the ADC saw them (codes 0..255). */
  private codes: Uint8Array[] = [];
  private captureScales: ScopeChannel[] = [];
  private readonly rng: Rng;
  /** What the bench wires to each channel (none: the channel reads 0 V). */
  readonly wiring = new Map<number, { probe: ScopeProbe; voltsPerUnit: number }>();
  /** Input noise, in divisions (σ). */
  noiseDiv = 0.02;

  constructor(
    private readonly serial = 'NPSIMX3024T',
    seed = 1,
  ) {
    super();
    this.rng = new Rng(seed).fork(99);
    this.reset();
    this.register();
  }

  protected idn(): string {
    return `KEYSIGHT TECHNOLOGIES,DSOX3024T,${this.serial},07.50.2021102830`;
  }

  protected reset(): void {
    this.timeScaleS = 1e-3;
    this.reference = 'CENTer';
    this.positionS = 0;
    this.channels = Array.from({ length: CHANNELS }, (_, i) => ({ display: i === 0, scaleV: 1, offsetV: 0 }));
    this.triggerSource = 'CHANnel1';
    this.triggerLevelV = 0;
    this.wavFormat = 'BYTE';
    this.lsbFirst = false;
    this.unsigned = true;
    this.points = 1000;
    this.state = 'stopped';
    this.capture = null;
  }

  get isRunning(): boolean {
    return this.state !== 'stopped';
  }

  private ch(sfx: Suffixes): ScopeChannel {
    const n = sfx.CHANNEL ?? 1;
    if (n < 1 || n > CHANNELS) throw Errors.illegalValue(`channel ${n} (1..${CHANNELS})`);
    return this.channels[n - 1];
  }

  /** Record start relative to the trigger, s. */
  private recordStartS(): number {
    const span = DIVS_X * this.timeScaleS;
    const refOffset = this.reference === 'LEFT' ? 0 : this.reference === 'CENTer' ? span / 2 : span;
    return this.positionS - refOffset;
  }

  private register(): void {
    this.on(':TIMebase:MODE', { set: () => undefined, query: () => 'MAIN' });
    this.on(':TIMebase:REFerence', {
      set: (a) => void (this.reference = parseEnumArg(a[0], ['LEFT', 'CENTer', 'RIGHt'] as const, 'timebase reference')),
      query: () => this.reference.replace(/[a-z]+$/, ''),
    });
    this.on(':TIMebase:SCALe', { set: (a) => void (this.timeScaleS = parseNumberArg(a[0], { min: 1e-9, max: 50, what: 'time scale' })), query: () => this.timeScaleS.toExponential() });
    this.on(':TIMebase:POSition', { set: (a) => void (this.positionS = parseNumberArg(a[0], { min: -500, max: 500, what: 'time position' })), query: () => this.positionS.toExponential() });
    this.on(':ACQuire:TYPE', { set: (a) => void parseEnumArg(a[0], ['NORMal', 'AVERage', 'HRESolution', 'PEAK'] as const, 'acquisition type'), query: () => 'NORM' });
    this.on(':CHANnel#:DISPlay', { set: (a, s) => void (this.ch(s).display = parseBoolArg(a[0], 'display')), query: (_a, s) => (this.ch(s).display ? '1' : '0') });
    this.on(':CHANnel#:COUPling', { set: (a) => void parseEnumArg(a[0], ['DC', 'AC'] as const, 'coupling'), query: () => 'DC' });
    this.on(':CHANnel#:SCALe', { set: (a, s) => void (this.ch(s).scaleV = parseNumberArg(a[0], { min: 1e-3, max: 5, what: 'vertical scale' })), query: (_a, s) => this.ch(s).scaleV.toExponential() });
    this.on(':CHANnel#:OFFSet', { set: (a, s) => void (this.ch(s).offsetV = parseNumberArg(a[0], { min: -40, max: 40, what: 'offset' })), query: (_a, s) => this.ch(s).offsetV.toExponential() });
    this.on(':TRIGger:MODE', { set: (a) => void parseEnumArg(a[0], ['EDGE'] as const, 'trigger mode'), query: () => 'EDGE' });
    this.on(':TRIGger[:EDGE]:SOURce', {
      set: (a) => void (this.triggerSource = parseEnumArg(a[0], ['EXTernal', 'CHANnel1', 'CHANnel2', 'CHANnel3', 'CHANnel4', 'LINE'] as const, 'trigger source')),
      query: () => (this.triggerSource === 'EXTernal' ? 'EXT' : this.triggerSource.replace('CHANnel', 'CHAN')),
    });
    this.on(':TRIGger[:EDGE]:SLOPe', { set: (a) => void parseEnumArg(a[0], ['POSitive', 'NEGative', 'EITHer', 'ALTernate'] as const, 'slope'), query: () => 'POS' });
    this.on(':TRIGger[:EDGE]:LEVel', { set: (a) => void (this.triggerLevelV = parseNumberArg(a[0], { min: -8, max: 8, what: 'trigger level' })), query: () => this.triggerLevelV.toExponential() });
    this.on(':TRIGger:SWEep', { set: (a) => void parseEnumArg(a[0], ['NORMal', 'AUTO'] as const, 'sweep'), query: () => 'NORM' });
    this.on(':SINGle', { set: () => this.arm() });
    this.on(':RUN', { set: () => this.arm() });
    this.on(':STOP', {
      set: () => {
        this.state = 'stopped';
        this.capture = null;
      },
    });
    // Bit 3 (8): Run — set while the scope is armed or still acquiring.
    this.on(':OPERegister:CONDition', { query: () => String(this.isRunning ? 8 : 0) });
    this.on(':WAVeform:SOURce', {
      set: (a) => {
        const m = /^CHAN(?:NEL)?([1-4])$/i.exec(a[0] ?? '');
        if (!m) throw Errors.illegalValue(`waveform source "${a[0] ?? ''}" (CHANnel1..4)`);
        this.wavSource = Number(m[1]);
      },
      query: () => `CHAN${this.wavSource}`,
    });
    this.on(':WAVeform:FORMat', { set: (a) => void (this.wavFormat = parseEnumArg(a[0], ['WORD', 'BYTE', 'ASCii'] as const, 'waveform format')), query: () => this.wavFormat.replace(/[a-z]+$/, '') });
    this.on(':WAVeform:BYTeorder', { set: (a) => void (this.lsbFirst = parseEnumArg(a[0], ['LSBFirst', 'MSBFirst'] as const, 'byte order') === 'LSBFirst'), query: () => (this.lsbFirst ? 'LSBF' : 'MSBF') });
    this.on(':WAVeform:UNSigned', { set: (a) => void (this.unsigned = parseBoolArg(a[0], 'unsigned')), query: () => (this.unsigned ? '1' : '0') });
    this.on(':WAVeform:POINts:MODE', { set: (a) => void parseEnumArg(a[0], ['RAW', 'NORMal', 'MAXimum'] as const, 'points mode'), query: () => 'RAW' });
    this.on(':WAVeform:POINts', { set: (a) => void (this.points = parseIntArg(a[0], { min: 100, max: 62_500, what: 'waveform points' })), query: () => String(this.points) });
    this.on(':WAVeform:PREamble', { query: () => this.preamble().join(',') });
    this.on(':WAVeform:DATA', { query: () => this.data() });
  }

  private arm(): void {
    this.state = 'armed';
    this.capture = null;
  }

  /** A rising edge on the rear EXT input at bench time `nowS`. */
  externalTrigger(nowS: number): void {
    if (this.state !== 'armed' || this.triggerSource !== 'EXTernal') return;
    const n = this.points;
    const dtS = (DIVS_X * this.timeScaleS) / n;
    this.capture = { startS: nowS + this.recordStartS(), dtS, n, next: 0 };
    this.captureScales = this.channels.map((c) => ({ ...c }));
    this.codes = Array.from({ length: CHANNELS }, () => new Uint8Array(n));
    this.state = 'capturing';
  }

  /** The capture waiting for samples, if any. */
  get openCapture(): OpenCapture | null {
    return this.state === 'capturing' ? this.capture : null;
  }

  /** Sample k of the open capture: what each wired channel sees (device voltage, device current). */
  storeSample(k: number, deviceV: number, deviceA: number): void {
    const cap = this.capture;
    if (!cap || this.state !== 'capturing') return;
    for (let c = 0; c < CHANNELS; c++) {
      const w = this.wiring.get(c + 1);
      const v = w ? (w.probe === 'voltage' ? deviceV : deviceA) * w.voltsPerUnit : 0;
      const sc = this.captureScales[c];
      const noisy = v + this.noiseDiv * sc.scaleV * this.rng.normal();
      const code = Math.round(((noisy - sc.offsetV) / (DIVS_Y * sc.scaleV)) * 256 + 128);
      this.codes[c][k] = Math.max(0, Math.min(255, code));
    }
    cap.next = k + 1;
    if (cap.next >= cap.n) this.state = 'stopped';
  }

  private preamble(): number[] {
    const n = this.capture?.n ?? this.points;
    const sc = this.captureScales[this.wavSource - 1] ?? this.channels[this.wavSource - 1];
    const word = this.wavFormat === 'WORD';
    // WORD: the 8-bit code in the high byte; 32768 is the screen centre.
    const yinc = (DIVS_Y * sc.scaleV) / (word ? 65536 : 256);
    const yref = word ? 32768 : 128;
    const xinc = (DIVS_X * this.timeScaleS) / n;
    return [word ? 1 : this.wavFormat === 'BYTE' ? 0 : 4, 0, n, 1, xinc, this.recordStartS(), 0, yinc, sc.offsetV, yref];
  }

  private data(): string {
    if (!this.capture || this.state === 'capturing') throw Errors.settingsConflict('no completed acquisition to read (use :SINGle and wait for the trigger)');
    const codes = this.codes[this.wavSource - 1];
    if (this.wavFormat === 'ASCii') throw Errors.settingsConflict('ASCii waveform format is not simulated; use WORD or BYTE');
    if (this.wavFormat === 'BYTE') return encodeBlock(codes);
    const out = Buffer.alloc(codes.length * 2);
    for (let i = 0; i < codes.length; i++) {
      const word = codes[i] << 8;
      const value = this.unsigned ? word : word - 32768;
      if (this.lsbFirst) out.writeUInt16LE(value & 0xffff, 2 * i);
      else out.writeUInt16BE(value & 0xffff, 2 * i);
    }
    return encodeBlock(out);
  }
}
