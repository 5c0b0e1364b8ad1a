// The simulated bench: one device under test wired to a simulated Keithley 2450 (on
// the device's top electrode), a simulated 33522B (its device channel, 1 by default, on
// the same electrode through a switch that closes only for its pulses; Ext Trig fed by
// the 2450's digital line 1; its light channel, when wired, gating a laser whose beam
// passes a polarizer on a simulated Elliptec ELL14 stage before reaching the device).
// Time is virtual: instruments advance it by what their operations take.
// Modelling simplifications: between generator pulses the SMU alone sets the node; the
// generator's idle level is not applied; trigger latency is zero; the laser is on while
// its gate is above 1 V, at the configured power, with no rise time.

import { VirtualClock } from './clock.ts';
import { Memristor, type MemristorParams, MemristorStateSchema } from './dut/memristor.ts';
import { z } from 'zod';
import type { BenchEnvironment } from './environment.ts';
import { SimKeithley2450 } from './keithley2450.ts';
import { SimKeithley2400 } from './keithley2400.ts';
import { SimKeysightB2900 } from './keysight-b2900.ts';
import { SimKeithley2600B } from './keithley2600b.ts';
import { SimKeysight33500B } from './keysight33500b.ts';
import { SimElliptec } from './elliptec.ts';
import { SimInfiniiVision } from './infiniivision.ts';
import { SimK10cr1 } from './k10cr1.ts';
import { SimConexAgp } from './conex-agp.ts';
import { SimKeysight81160A, SimTektronixAfg31000 } from './pulsegen-dialects.ts';
import type { SimInstrument } from './scpi-instrument.ts';
import { type Fault, FaultyInstrument } from './faults.ts';

export interface SimBenchConfig {
  faults?: Fault[];
  /** Virtual seconds per wall-clock second while a pulse train plays; absent = as fast as possible. */
  realTimeFactor?: number;
  seed?: number;
  /** Which device of the seeded population (0 = the nominal device). */
  deviceIndex?: number;
  device?: Partial<MemristorParams>;
  /** Generator channel wired to the device electrode. */
  deviceChannel?: 1 | 2;
  /** Generator channel gating the laser (none: no light source on this bench). */
  lightChannel?: 1 | 2;
  /** The laser's true power at the sample while gated on, mW. */
  lightPowerMw?: number;
  /** Oscilloscope channels across the device and on its current sense (volts per ampere: a shunt's ohms or a probe's gain). */
  scope?: { voltageChannel: number; currentChannel: number; voltsPerAmpere: number };
  /** Device capacitance: displacement current C·dV/dt on the scope's current channel, F. */
  deviceCapacitanceF?: number;
  /** Which simulated stage turns the polarizer (default the ELL14). */
  polarizerStage?: 'thorlabs-ell14' | 'thorlabs-k10cr1' | 'newport-conex-agp';
  /** Which generator family is on the bench (default the 33522B). */
  generatorModel?: SimGeneratorModel;
  /** Which source-meter family drives the device (default the 2450). */
  smuModel?: SimSmuModel;
  /** The 2600B channel on the device (default a). */
  smuChannel?: 'a' | 'b';
}

export const SIM_MODELS = ['keithley2450', 'keithley2400', 'keithley2600b', 'keysight-b2900', 'keysight33500b', 'tektronix-afg31000', 'keysight-81160a', 'thorlabs-ell14', 'thorlabs-k10cr1', 'newport-conex-agp', 'keysight-infiniivision'] as const;

/** The simulated source-meter families: one is wired to the device (the others sit idle). */
export type SimSmuModel = 'keithley2450' | 'keithley2400' | 'keithley2600b' | 'keysight-b2900';

/** What the bench needs of the SMU wired to the device. */
export type SimSourceMeter = SimKeithley2450 | SimKeithley2400 | SimKeithley2600B | SimKeysightB2900;

/** The simulated generator families: one is wired into the bench (its pulses reach the device). */
export type SimGeneratorModel = 'keysight33500b' | 'tektronix-afg31000' | 'keysight-81160a';

/** A gate above this switches the simulated laser on, V (TTL). */
const LIGHT_GATE_THRESHOLD_V = 1;

/** The simulated instruments' *IDN? serial numbers start with this, so their data can never pass for measured data. */
export const SIM_SERIAL_PREFIX = 'NPSIM';

/** Whether an *IDN? reply comes from a NeuroProbe simulated instrument (in-process or over TCP). */
export function isSimulatorIdn(idn: string): boolean {
  return idn.split(',').some((f) => f.trim().startsWith(SIM_SERIAL_PREFIX));
}

export const SimBenchStateSchema = z.strictObject({ clockS: z.number().min(0), dut: MemristorStateSchema, stageDeg: z.number().default(0) });
export type SimBenchState = z.infer<typeof SimBenchStateSchema>;
export type SimModel = (typeof SIM_MODELS)[number];

export class SimBench implements BenchEnvironment {
  readonly clock = new VirtualClock();
  readonly dut: Memristor;
  readonly smu = new SimKeithley2450();
  readonly smu2400 = new SimKeithley2400();
  readonly smuB2900 = new SimKeysightB2900();
  readonly smu2600 = new SimKeithley2600B();
  /** The SMU wired to the device (config.smuModel; the 2450 by default). */
  readonly sourceMeter: SimSourceMeter;
  readonly generator: SimKeysight33500B;
  readonly stage = new SimElliptec();
  readonly k10cr1 = new SimK10cr1();
  readonly conex = new SimConexAgp();
  readonly scope: SimInfiniiVision;
  /** When set, every stretch a generator pulse drives the device is logged with its exact ∫V·I dt (tests compare the scope's integral with it). */
  deviceEnergyLog: { t0: number; t1: number; levelV: number; energyJ: number; gStartS: number }[] | null = null;
  private lastSampleV: number | null = null;
  private readonly faulty = new Map<SimModel, FaultyInstrument>();

  constructor(readonly config: SimBenchConfig = {}) {
    this.generator = config.generatorModel === 'tektronix-afg31000' ? new SimTektronixAfg31000() : config.generatorModel === 'keysight-81160a' ? new SimKeysight81160A() : new SimKeysight33500B();
    this.dut = new Memristor(config.device ?? {}, config.seed ?? 1, config.deviceIndex ?? 0);
    const m = config.smuModel;
    this.sourceMeter = m === 'keithley2400' ? this.smu2400 : m === 'keysight-b2900' ? this.smuB2900 : m === 'keithley2600b' ? this.smu2600 : this.smu;
    this.smu2600.wired = config.smuChannel === 'b' ? 'smub' : 'smua';
    for (const s of [this.smu, this.smu2400, this.smuB2900, this.smu2600]) s.attach(this);
    if (config.realTimeFactor !== undefined) this.sourceMeter.setRealTimeFactor(config.realTimeFactor);
    this.generator.attach(this);
    this.scope = new SimInfiniiVision('NPSIMX3024T', config.seed ?? 1);
    if (config.scope) {
      this.scope.wiring.set(config.scope.voltageChannel, { probe: 'voltage', voltsPerUnit: 1 });
      this.scope.wiring.set(config.scope.currentChannel, { probe: 'current', voltsPerUnit: config.scope.voltsPerAmpere });
    }
  }

  /** The instrument as clients reach it (behind its injected fault, if any). */
  instrument(model: SimModel): SimInstrument {
    // The stage's faults are its own (`silentFor`): the SCPI fault wrapper does not apply.
    if (model === 'thorlabs-ell14') return this.stage;
    if (model === 'thorlabs-k10cr1') return this.k10cr1;
    if (model === 'newport-conex-agp') return this.conex;
    if (model === 'keithley2400') return this.smu2400;
    if (model === 'keysight-b2900') return this.smuB2900;
    if (model === 'keithley2600b') return this.smu2600;
    const inner = model === 'keithley2450' ? this.smu : model === 'keysight-infiniivision' ? this.scope : this.generator;
    const fault = this.config.faults?.find((f) => f.instrument === model);
    if (!fault) return inner;
    let wrapped = this.faulty.get(model);
    if (!wrapped) this.faulty.set(model, (wrapped = new FaultyInstrument(inner, fault, this)));
    return wrapped;
  }

  /** The device's state and the virtual time, stored with each checkpoint of a simulated run. */
  snapshot(): SimBenchState {
    return { clockS: this.clock.nowS, dut: this.dut.snapshot(), stageDeg: this.polarizerDeg };
  }

  /** Continues from a checkpoint's state (resume): the same device, the same noise stream. */
  restore(state: unknown): void {
    const s = SimBenchStateSchema.parse(state);
    this.clock.restore(s.clockS);
    this.dut.restore(s.dut);
    if (this.config.polarizerStage === 'thorlabs-k10cr1') this.k10cr1.moveToAngle(s.stageDeg);
    else if (this.config.polarizerStage === 'newport-conex-agp') this.conex.moveToAngle(s.stageDeg);
    else this.stage.moveToAngle(s.stageDeg);
  }

  /** The polarizer's angle: where the stage holding it stands, degrees. */
  get polarizerDeg(): number {
    const s = this.config.polarizerStage;
    return s === 'thorlabs-k10cr1' ? this.k10cr1.angleDeg : s === 'newport-conex-agp' ? this.conex.angleDeg : this.stage.angleDeg;
  }

  /** The light on the device now: power at the sample and polarization angle (the polarizer on the stage), or none. */
  lightNow(tS = this.clock.nowS): { powerMw: number; angleDeg: number } | undefined {
    const ch = this.config.lightChannel;
    if (!ch || this.generator.levelAt(ch, tS) <= LIGHT_GATE_THRESHOLD_V) return undefined;
    return { powerMw: this.config.lightPowerMw ?? 1, angleDeg: this.polarizerDeg };
  }

  /** Injected "short" fault: the device becomes a near short circuit. */
  shortDevice(): void {
    this.dut.forceConductance(1);
  }

  nowS(): number {
    return this.clock.nowS;
  }

  /** Voltage the SMU actually puts across the device, after its current limit. */
  private smuVoltage(): { v: number; limited: boolean } {
    const d = this.sourceMeter.drive();
    if (!d.on) return { v: 0, limited: false };
    const g = this.dut.conductanceS;
    if (Math.abs(g * d.levelV) > d.limitA) return { v: Math.sign(d.levelV) * (d.limitA / g), limited: true };
    return { v: d.levelV, limited: false };
  }

  advance(dtS: number): void {
    const t0 = this.clock.nowS;
    const t1 = t0 + dtS;
    let cursor = t0;
    const deviceChannel = this.config.deviceChannel ?? 1;
    for (const p of this.generator.pulsesBetween(t0, t1)) {
      if (p.channel === this.config.lightChannel) {
        if (p.levelV > LIGHT_GATE_THRESHOLD_V) this.dut.illuminate(this.config.lightPowerMw ?? 1, this.polarizerDeg, p.endS - p.startS);
        continue;
      }
      if (p.channel !== deviceChannel) continue;
      if (p.startS > cursor) this.drive(cursor, p.startS, null);
      this.drive(p.startS, p.endS, p.levelV);
      cursor = Math.max(cursor, p.endS);
    }
    if (t1 > cursor) this.drive(cursor, t1, null);
    this.clock.advance(dtS);
  }

  /** The device between bench times a and b at a generator level, or at the SMU's (null); sampled for the scope while it captures. */
  private drive(a: number, b: number, levelV: number | null): void {
    const level = () => (levelV === null ? this.smuVoltage().v : levelV);
    let t = a;
    while (t < b - 1e-15) {
      const cap = this.scope.openCapture;
      let next = b;
      // (Samples before the trigger were filled when it fired: smuDigitalOut.)
      if (cap) {
        const ts = cap.startS + cap.next * cap.dtS;
        if (ts <= t + 1e-15) this.sample(cap.next, level(), cap.dtS);
        const after = this.scope.openCapture;
        if (after) next = Math.min(b, after.startS + after.next * after.dtS);
      }
      if (!(next > t)) next = b;
      this.applyLogged(level(), t, next, levelV !== null);
      t = next;
    }
  }

  private sample(k: number, v: number, dtS: number): void {
    const c = this.config.deviceCapacitanceF ?? 1e-12;
    const displacement = this.lastSampleV === null ? 0 : (c * (v - this.lastSampleV)) / dtS;
    this.lastSampleV = v;
    this.scope.storeSample(k, v, this.dut.currentA(v) + displacement);
  }

  private applyLogged(v: number, a: number, b: number, fromGenerator: boolean): void {
    if (!(this.deviceEnergyLog && fromGenerator)) {
      this.dut.apply(v, b - a);
      return;
    }
    const g0 = this.dut.conductanceS;
    this.dut.apply(v, b - a);
    const g1 = this.dut.conductanceS;
    this.deviceEnergyLog.push({ t0: a, t1: b, levelV: v, energyJ: v * v * ((g0 + g1) / 2) * (b - a), gStartS: g0 });
  }

  smuCurrentA(): { currentA: number; voltageV: number; inCompliance: boolean } {
    const { v, limited } = this.smuVoltage();
    const i = this.dut.currentA(v, this.lightNow());
    const limit = this.sourceMeter.drive().limitA;
    if (limited) return { currentA: Math.sign(i) * limit, voltageV: v, inCompliance: true };
    return { currentA: i, voltageV: v, inCompliance: false };
  }

  smuDigitalOut(line: number): void {
    if (line === 1) {
      const now = this.clock.nowS;
      this.scope.externalTrigger(now);
      // The record's pre-trigger part: the device as it sits just before the edge (at the SMU's level).
      const cap = this.scope.openCapture;
      if (cap && cap.next === 0 && cap.startS < now) {
        const v = this.smuVoltage().v;
        this.lastSampleV = null;
        const first = Math.min(cap.n, Math.ceil((now - cap.startS) / cap.dtS - 1e-9));
        for (let k = 0; k < first; k++) this.sample(k, v, cap.dtS);
      }
      this.generator.externalTrigger();
    }
  }
}
