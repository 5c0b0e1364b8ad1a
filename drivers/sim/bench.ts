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
import { SimKeysight33500B } from './keysight33500b.ts';
import { SimElliptec } from './elliptec.ts';
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
}

export const SIM_MODELS = ['keithley2450', 'keysight33500b', 'thorlabs-ell14'] as const;

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
  readonly generator = new SimKeysight33500B();
  readonly stage = new SimElliptec();
  private readonly faulty = new Map<SimModel, FaultyInstrument>();

  constructor(readonly config: SimBenchConfig = {}) {
    this.dut = new Memristor(config.device ?? {}, config.seed ?? 1, config.deviceIndex ?? 0);
    this.smu.attach(this);
    if (config.realTimeFactor !== undefined) this.smu.setRealTimeFactor(config.realTimeFactor);
    this.generator.attach(this);
  }

  /** The instrument as clients reach it (behind its injected fault, if any). */
  instrument(model: SimModel): SimInstrument {
    // The stage's faults are its own (`silentFor`): the SCPI fault wrapper does not apply.
    if (model === 'thorlabs-ell14') return this.stage;
    const inner = model === 'keithley2450' ? this.smu : this.generator;
    const fault = this.config.faults?.find((f) => f.instrument === model);
    if (!fault) return inner;
    let wrapped = this.faulty.get(model);
    if (!wrapped) this.faulty.set(model, (wrapped = new FaultyInstrument(inner, fault, this)));
    return wrapped;
  }

  /** The device's state and the virtual time, stored with each checkpoint of a simulated run. */
  snapshot(): SimBenchState {
    return { clockS: this.clock.nowS, dut: this.dut.snapshot(), stageDeg: this.stage.angleDeg };
  }

  /** Continues from a checkpoint's state (resume): the same device, the same noise stream. */
  restore(state: unknown): void {
    const s = SimBenchStateSchema.parse(state);
    this.clock.restore(s.clockS);
    this.dut.restore(s.dut);
    this.stage.moveToAngle(s.stageDeg);
  }

  /** The light on the device now: power at the sample and polarization angle (the polarizer on the stage), or none. */
  lightNow(tS = this.clock.nowS): { powerMw: number; angleDeg: number } | undefined {
    const ch = this.config.lightChannel;
    if (!ch || this.generator.levelAt(ch, tS) <= LIGHT_GATE_THRESHOLD_V) return undefined;
    return { powerMw: this.config.lightPowerMw ?? 1, angleDeg: this.stage.angleDeg };
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
    const d = this.smu.drive();
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
        if (p.levelV > LIGHT_GATE_THRESHOLD_V) this.dut.illuminate(this.config.lightPowerMw ?? 1, this.stage.angleDeg, p.endS - p.startS);
        continue;
      }
      if (p.channel !== deviceChannel) continue;
      if (p.startS > cursor) this.dut.apply(this.smuVoltage().v, p.startS - cursor);
      this.dut.apply(p.levelV, p.endS - p.startS);
      cursor = Math.max(cursor, p.endS);
    }
    if (t1 > cursor) this.dut.apply(this.smuVoltage().v, t1 - cursor);
    this.clock.advance(dtS);
  }

  smuCurrentA(): { currentA: number; voltageV: number; inCompliance: boolean } {
    const { v, limited } = this.smuVoltage();
    const i = this.dut.currentA(v, this.lightNow());
    const limit = this.smu.drive().limitA;
    if (limited) return { currentA: Math.sign(i) * limit, voltageV: v, inCompliance: true };
    return { currentA: i, voltageV: v, inCompliance: false };
  }

  smuDigitalOut(line: number): void {
    if (line === 1) this.generator.externalTrigger();
  }
}
