// Simulated Keithley 2602B (TSP; instruments.md §1.3): each message is a Lua chunk, run
// by the Lua-subset interpreter against a model of the objects a timer-paced list sweep
// uses, on both channels (smua, smub): source and measure settings, nvbuffer1/2,
// `smuX.trigger.source.listv`, `smuX.trigger.measure.iv`, trigger timers with delay
// lists (average ≥ 50 µs, as the 2600B reference manual states), `initiate`,
// `abort`, `printbuffer`, `print`, `errorqueue`, `localnode.linefreq`. The trigger-model
// forms are those of Tektronix's KE26XXB pulsed-sweep example. IEEE 488.2 common commands
// (*IDN?, *RST, *CLS, *OPC?) are answered as the 2600B does. A runtime or syntax error
// goes to the error queue (-285 "TSP syntax error", -286 "TSP runtime error"), as on the
// instrument. Only the channel wired to the bench's device (smua by default) drives it.
// Unconfirmed (our choices): numbers printed as %.5e (format.asciiprecision default), the
// timestamps counting from power-on across sweeps, and the 100 000-reading buffers.

import type { ScpiError } from '../scpi/command-tree.ts';
import type { BenchEnvironment, SmuDrive } from './environment.ts';
import { PacedProgram } from './paced.ts';
import { rangedCurrent } from './list-smu.ts';
import type { SimInstrument } from './scpi-instrument.ts';
import { LuaError, type LuaValue, LuaSubset, TspNode, num, results } from './tsp/lua-subset.ts';

const I_RANGES = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1.5, 3];
const BUFFER_CAPACITY = 100_000;
const ENABLE = 1;
const OUTPUT_ON = 1;
const SOURCE_IDLE = 0;
const SOURCE_HOLD = 1;

/** What TSP's print shows for a number: C's %.5e (two-digit exponent), as format.asciiprecision 6 does. */
export function tspNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  return v.toExponential(5).replace(/e([+-])(\d)$/, 'e$10$2');
}

interface Reading {
  i: number;
  v: number;
  tS: number;
}

class Channel {
  output = 0;
  levelV = 0;
  limitI = 1e-4;
  nplc = 1;
  autorangeI = true;
  rangeI = 1e-4;
  measureDelay = 0;
  list: number[] = [];
  triggerCount = 1;
  sourceAction = 0;
  measureAction = 0;
  measureBuffers: [Reading[], Reading[]] | null = null;
  endpulse = SOURCE_HOLD;
  endsweep = SOURCE_IDLE;
  sourceStimulus = 0;
  measureStimulus = 0;
  readonly buffers: [Reading[], Reading[]] = [[], []];
  readonly node: TspNode;

  constructor(
    readonly name: string,
    private readonly sim: SimKeithley2600B,
  ) {
    this.node = this.build();
  }

  reset(): void {
    Object.assign(this, { output: 0, levelV: 0, limitI: 1e-4, nplc: 1, autorangeI: true, rangeI: 1e-4, measureDelay: 0, list: [], triggerCount: 1, sourceAction: 0, measureAction: 0, measureBuffers: null, endpulse: SOURCE_HOLD, endsweep: SOURCE_IDLE, sourceStimulus: 0, measureStimulus: 0 });
    this.buffers[0].length = 0;
    this.buffers[1].length = 0;
  }

  private buffer(k: 0 | 1): TspNode {
    const b = this.buffers[k];
    const field = (pick: (r: Reading) => number) => new TspNode(`${this.name}.nvbuffer${k + 1}`).attr('__values', () => b.map(pick));
    return new TspNode(`${this.name}.nvbuffer${k + 1}`)
      .attr('n', () => b.length)
      .value('clear', () => void (b.length = 0))
      .attr('appendmode', () => 0, () => undefined)
      .attr('collecttimestamps', () => 1, () => undefined)
      .attr('collectsourcevalues', () => 0, () => undefined)
      .attr('readings', () => field((r) => (k === 0 ? r.i : r.v)))
      .attr('timestamps', () => field((r) => r.tS))
      .attr('__buffer', () => k);
  }

  private build(): TspNode {
    const s = this.sim;
    const n = this.name;
    const source = new TspNode(`${n}.source`)
      .attr('func', () => 1, (v) => void (num(v, `${n}.source.func`) === 1 || s.fail(`${n}.source.func: only OUTPUT_DCVOLTS is simulated`)))
      .attr('levelv', () => this.levelV, (v) => void (this.levelV = num(v, `${n}.source.levelv`, -202, 202)))
      .attr('limiti', () => this.limitI, (v) => void (this.limitI = num(v, `${n}.source.limiti`, 1e-9, 3)))
      .attr('rangev', () => 20, (v) => void num(v, `${n}.source.rangev`, -202, 202))
      .attr('autorangev', () => 1, (v) => void num(v, `${n}.source.autorangev`))
      .attr('output', () => this.output, (v) => {
        this.output = num(v, `${n}.source.output`, 0, 2) === OUTPUT_ON ? 1 : 0;
        if (!this.output) s.stopSweep(this);
      });
    const measure = new TspNode(`${n}.measure`)
      .attr('nplc', () => this.nplc, (v) => void (this.nplc = num(v, `${n}.measure.nplc`, 0.001, 25)))
      .attr('autorangei', () => (this.autorangeI ? 1 : 0), (v) => void (this.autorangeI = num(v, `${n}.measure.autorangei`) !== 0))
      .attr('rangei', () => this.rangeI, (v) => {
        const a = num(v, `${n}.measure.rangei`, 1e-7, 3);
        this.rangeI = I_RANGES.find((r) => a <= r * 1.0001) ?? 3;
        this.autorangeI = false;
      })
      .attr('autozero', () => 1, (v) => void num(v, `${n}.measure.autozero`, 0, 2))
      .attr('delay', () => this.measureDelay, (v) => void (this.measureDelay = num(v, `${n}.measure.delay`, 0, 100)))
      .value('i', () => s.measureNow(this).i);
    const trigger = new TspNode(`${n}.trigger`)
      .attr('count', () => this.triggerCount, (v) => void (this.triggerCount = num(v, `${n}.trigger.count`, 1, BUFFER_CAPACITY)))
      .attr('ARMED_EVENT_ID', () => (n === 'smua' ? 1001 : 2001))
      .value('arm', new TspNode(`${n}.trigger.arm`).attr('stimulus', () => 0, (v) => void (num(v, `${n}.trigger.arm.stimulus`) === 0 || s.fail('only an immediate arm is simulated'))).attr('count', () => 1, (v) => void num(v, 'arm count', 1, 1)))
      .value(
        'source',
        new TspNode(`${n}.trigger.source`)
          .value('listv', (t: LuaValue) => {
            if (!Array.isArray(t) || t.length === 0) throw new LuaError(`${n}.trigger.source.listv expects a table of voltages`);
            this.list = t.map((x) => num(x, 'listv value', -202, 202));
          })
          .attr('action', () => this.sourceAction, (v) => void (this.sourceAction = num(v, 'source action')))
          .attr('limiti', () => this.limitI, (v) => void (this.limitI = num(v, `${n}.trigger.source.limiti`, 1e-9, 3)))
          .attr('stimulus', () => this.sourceStimulus, (v) => void (this.sourceStimulus = num(v, 'source stimulus'))),
      )
      .value(
        'measure',
        new TspNode(`${n}.trigger.measure`)
          .attr('action', () => this.measureAction, (v) => void (this.measureAction = num(v, 'measure action')))
          .attr('stimulus', () => this.measureStimulus, (v) => void (this.measureStimulus = num(v, 'measure stimulus')))
          .value('iv', (a: LuaValue, b: LuaValue) => {
            const ka = (a as TspNode | null)?.get?.('__buffer');
            const kb = (b as TspNode | null)?.get?.('__buffer');
            if (ka !== 0 || kb !== 1) throw new LuaError(`${n}.trigger.measure.iv expects (${n}.nvbuffer1, ${n}.nvbuffer2)`);
            this.measureBuffers = this.buffers;
          }),
      )
      .value('endpulse', new TspNode(`${n}.trigger.endpulse`).attr('action', () => this.endpulse, (v) => void (this.endpulse = num(v, 'endpulse action'))).attr('stimulus', () => 0, (v) => void num(v, 'endpulse stimulus')))
      .value('endsweep', new TspNode(`${n}.trigger.endsweep`).attr('action', () => this.endsweep, (v) => void (this.endsweep = num(v, 'endsweep action'))))
      .value('initiate', () => s.initiate(this))
      .value('abort', () => s.stopSweep(this));
    return new TspNode(n)
      .value('source', source)
      .value('measure', measure)
      .value('trigger', trigger)
      .value('nvbuffer1', this.buffer(0))
      .value('nvbuffer2', this.buffer(1))
      .value('reset', () => s.resetChannel(this))
      .value('abort', () => s.stopSweep(this))
      .value('OUTPUT_DCVOLTS', 1)
      .value('OUTPUT_ON', OUTPUT_ON)
      .value('OUTPUT_OFF', 0)
      .value('ENABLE', ENABLE)
      .value('DISABLE', 0)
      .value('AUTORANGE_ON', 1)
      .value('AUTORANGE_OFF', 0)
      .value('AUTOZERO_ONCE', 2)
      .value('SOURCE_HOLD', SOURCE_HOLD)
      .value('SOURCE_IDLE', SOURCE_IDLE);
  }
}

interface Timer {
  count: number;
  /** The delay list: each trigger uses the next entry, cycling (`delay = d` sets {d}). */
  delays: number[];
  passthrough: boolean;
  stimulus: number;
}

export class SimKeithley2600B implements SimInstrument {
  readonly model = 'Keithley 2602B';
  readonly received: string[] = [];
  /** Mains frequency the instrument measured at power-up (50 or 60 Hz). */
  lineFrequencyHz: 50 | 60 = 50;
  /** The channel wired to the bench's device. */
  wired: 'smua' | 'smub' = 'smua';
  readonly smua: Channel;
  readonly smub: Channel;
  private env: BenchEnvironment | null = null;
  private readonly errors: { code: number; text: string }[] = [];
  private readonly timers: Timer[] = [1, 2, 3, 4, 5, 6, 7, 8].map(() => ({ count: 1, delays: [10e-6], passthrough: false, stimulus: 0 }));
  private readonly lua: LuaSubset;
  private output: string[] = [];
  private readonly program = new PacedProgram(
    () => this.bench.nowS(),
    (e: ScpiError) => this.pushError(e.code, e.text),
  );
  private sweeping: Channel | null = null;

  constructor(private readonly serial = 'NPSIM2602B') {
    this.smua = new Channel('smua', this);
    this.smub = new Channel('smub', this);
    const timerNode = (k: number) => {
      const t = this.timers[k - 1];
      return new TspNode(`trigger.timer[${k}]`)
        .attr('count', () => t.count, (v) => void (t.count = num(v, 'timer count', 0, 1_048_575)))
        .attr('delay', () => t.delays[0], (v) => void (t.delays = [num(v, 'timer delay', 1e-6, 1e5)]))
        .attr('delaylist', () => [...t.delays], (v) => {
          if (!Array.isArray(v) || v.length === 0) throw new LuaError(`trigger.timer[${k}].delaylist expects a table of delays`);
          const d = v.map((x) => num(x, 'timer delay', 1e-6, 1e5));
          // The reference manual: a list of more than one delay must average ≥ 50 µs.
          if (d.length > 1 && d.reduce((a, b) => a + b, 0) / d.length < 50e-6) throw new LuaError(`trigger.timer[${k}].delaylist averages under 50 µs`);
          t.delays = d;
        })
        .attr('passthrough', () => t.passthrough, (v) => void (t.passthrough = v === true))
        .attr('stimulus', () => t.stimulus, (v) => void (t.stimulus = num(v, 'timer stimulus')))
        .attr('EVENT_ID', () => 100 + k);
    };
    const timer = new TspNode('trigger.timer');
    for (const k of [1, 2, 3, 4, 5, 6, 7, 8]) timer.value(k, timerNode(k));
    const root = new TspNode('_G')
      .value('smua', this.smua.node)
      .value('smub', this.smub.node)
      .value('trigger', new TspNode('trigger').value('timer', timer))
      .value('localnode', new TspNode('localnode').attr('linefreq', () => this.lineFrequencyHz).attr('model', () => '2602B').attr('serialno', () => this.serial))
      .value('errorqueue', new TspNode('errorqueue').attr('count', () => this.errors.length).value('clear', () => void (this.errors.length = 0)).value('next', () => {
        const e = this.errors.shift();
        return e ? results(e.code, e.text, 1, 0) : results(0, 'Queue Is Empty', 0, 0);
      }))
      .value('status', new TspNode('status').value('reset', () => undefined))
      .value('format', new TspNode('format').attr('asciiprecision', () => 6, (v) => void num(v, 'asciiprecision', 6, 6)))
      .value('reset', () => this.resetAll())
      .value('waitcomplete', () => this.program.catchUp())
      .value('opc', () => undefined)
      .value('print', (...args: LuaValue[]) => void this.output.push(args.map((a) => this.show(a)).join('\t')))
      .value('printbuffer', (start: LuaValue, end: LuaValue, ...bufs: LuaValue[]) => void this.output.push(this.printbuffer(start, end, bufs)));
    this.lua = new LuaSubset(root);
  }

  attach(env: BenchEnvironment): void {
    this.env = env;
  }

  private get bench(): BenchEnvironment {
    if (!this.env) throw new Error('simulated 2602B is not wired to a bench');
    return this.env;
  }

  private get channel(): Channel {
    return this.wired === 'smua' ? this.smua : this.smub;
  }

  drive(): SmuDrive {
    const c = this.channel;
    return { on: c.output === 1, levelV: c.levelV, limitA: c.limitI };
  }

  fail(text: string): never {
    throw new LuaError(text);
  }

  pushError(code: number, text: string): void {
    if (this.errors.length < 32) this.errors.push({ code, text });
  }

  get pendingErrors(): readonly { code: number; text: string }[] {
    return this.errors;
  }

  private show(v: LuaValue): string {
    if (typeof v === 'number') return tspNumber(v);
    if (v === null) return 'nil';
    if (typeof v === 'boolean' || typeof v === 'string') return String(v);
    return 'table';
  }

  private printbuffer(start: LuaValue, end: LuaValue, bufs: LuaValue[]): string {
    const a = num(start, 'printbuffer start', 1);
    const b = num(end, 'printbuffer end', a);
    const cols = bufs.map((x) => {
      const vals = (x as TspNode | null)?.get?.('__values');
      if (!Array.isArray(vals)) throw new LuaError('printbuffer expects buffers (e.g. smua.nvbuffer1.readings)');
      return vals as number[];
    });
    const out: string[] = [];
    for (let k = a; k <= b; k++) for (const c of cols) {
      if (k > c.length) throw new LuaError(`printbuffer index ${k} beyond the buffer (${c.length} readings)`);
      out.push(tspNumber(c[k - 1]));
    }
    return out.join(', ');
  }

  resetAll(): void {
    this.program.abort();
    this.sweeping = null;
    this.smua.reset();
    this.smub.reset();
    for (const t of this.timers) Object.assign(t, { count: 1, delays: [10e-6], passthrough: false, stimulus: 0 });
  }

  resetChannel(c: Channel): void {
    if (this.sweeping === c) this.stopSweep(c);
    c.reset();
  }

  stopSweep(c: Channel): void {
    if (this.sweeping !== c) return;
    this.program.abort(); // the sweep's finally puts the source back to its idle level
    this.sweeping = null;
  }

  measureNow(c: Channel): Reading {
    if (!c.output) throw new LuaError(`${c.name}.measure.i: output is off`);
    return this.measure(c);
  }

  private measure(c: Channel): Reading {
    const env = this.bench;
    env.advance(c.nplc / this.lineFrequencyHz);
    if (c !== this.channel) return { i: 0, v: c.levelV, tS: env.nowS() };
    const m = env.smuCurrentA();
    const r = rangedCurrent(m.currentA, I_RANGES, c.autorangeI, c.rangeI);
    c.rangeI = r.rangeA;
    return { i: r.currentA, v: m.voltageV, tS: env.nowS() };
  }

  /**
   * A timer-paced list sweep as the pulsed-sweep example wires it: timer 1 (passthrough,
   * count N − 1) starts each point, the k-th interval from its delay list; timer 2
   * (stimulated by timer 1) delays each measurement by the next entry of its own list; the
   * level holds until the next point, and the idle level returns when the last measurement
   * ends the sweep.
   */
  initiate(c: Channel): void {
    if (this.sweeping) throw new LuaError('a sweep is already running');
    if (!c.output) throw new LuaError(`${c.name}.trigger.initiate: output is off`);
    if (c.sourceAction !== ENABLE || c.list.length === 0) throw new LuaError(`${c.name}.trigger.initiate: no source list enabled`);
    if (c.triggerCount !== c.list.length) throw new LuaError(`${c.name}.trigger.count ${c.triggerCount} differs from the ${c.list.length}-point list`);
    const [t1, t2] = this.timers;
    const n = c.list.length;
    if (c.sourceStimulus !== 101 || !t1.passthrough || t1.stimulus !== (c.name === 'smua' ? 1001 : 2001)) throw new LuaError('only the timer-paced sweep (source stimulus = timer 1, passthrough, stimulated by ARMED_EVENT_ID) is simulated');
    if (n > 1 && t1.count !== n - 1) throw new LuaError(`trigger.timer[1].count ${t1.count} should be ${n - 1} for a ${n}-point sweep`);
    const measured = c.measureAction === ENABLE && c.measureBuffers !== null;
    const byTimer2 = c.measureStimulus === 102 && t2.stimulus === 101;
    if (measured && !byTimer2 && c.measureStimulus !== 0) throw new LuaError('measure stimulus must be 0 or timer 2 stimulated by timer 1');
    const apertureS = c.nplc / this.lineFrequencyHz;
    const interval = (k: number) => t1.delays[k % t1.delays.length];
    const measureDelay = (k: number) => (byTimer2 ? t2.delays[k % t2.delays.length] : c.measureDelay);
    for (let k = 0; k < n - 1; k++) {
      if (measured && measureDelay(k) + apertureS > interval(k) + 1e-12) {
        this.pushError(5042, `Trigger overrun: point ${k + 1}'s measurement ends after the next point starts`);
        break;
      }
    }
    const levels = [...c.list];
    const idle = c.levelV;
    const self = this;
    this.sweeping = c;
    this.program.start(
      (function* () {
        try {
          for (let k = 0; k < n; k++) {
            c.levelV = levels[k];
            let used = 0;
            if (measured) {
              self.bench.advance(measureDelay(k));
              const r = self.measure(c);
              used = measureDelay(k) + apertureS;
              if (c.measureBuffers![0].length < BUFFER_CAPACITY) {
                c.measureBuffers![0].push(r);
                c.measureBuffers![1].push(r);
              }
            }
            // The last point ends with its measurement (timer 1 fires N − 1 times).
            if (k < n - 1) self.bench.advance(Math.max(0, interval(k) - used));
            yield;
          }
        } finally {
          if (c.endsweep === SOURCE_IDLE) c.levelV = idle;
          self.sweeping = null;
        }
      })(),
    );
  }

  get isOutputOn(): boolean {
    this.program.catchUp();
    return this.channel.output === 1;
  }

  get sourceLevelV(): number {
    this.program.catchUp();
    return this.channel.levelV;
  }

  get isTriggerRunning(): boolean {
    return this.program.isRunning;
  }

  setRealTimeFactor(factor: number | null): void {
    this.program.setRealTimeFactor(factor);
  }

  forceOutputOff(): void {
    this.program.abort();
    this.sweeping = null;
    for (const c of [this.smua, this.smub]) {
      c.output = 0;
      c.levelV = 0;
    }
  }

  /** One message: an IEEE 488.2 common command, or a Lua chunk; what it printed is the reply. */
  handleMessage(message: string): string | null {
    this.received.push(message);
    this.program.catchUp();
    const t = message.trim();
    if (!this.lua.isRecording) {
      if (/^\*IDN\?$/i.test(t)) return `Keithley Instruments Inc., Model 2602B, ${this.serial}, 3.2.2`;
      if (/^\*RST$/i.test(t)) return void this.resetAll(), null;
      if (/^\*CLS$/i.test(t)) return void (this.errors.length = 0), null;
      if (/^\*OPC\?$/i.test(t)) return '1';
      if (/^\*(OPC|WAI)$/i.test(t)) return null;
    }
    this.output = [];
    try {
      this.lua.run(message);
    } catch (e) {
      if (!(e instanceof LuaError)) throw e;
      const syntax = /expected|unexpected|syntax|unfinished|outside the simulated subset/.test(e.message);
      this.pushError(syntax ? -285 : -286, `${syntax ? 'TSP Syntax error' : 'TSP Runtime error'} at line 1: ${e.message}`);
    }
    return this.output.length ? this.output.join('\n') : null;
  }
}
