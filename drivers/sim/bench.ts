// The simulated bench: one device under test wired to a simulated Keithley 2450 (on
// the device's top electrode) and a simulated 33522B (channel 1 on the same electrode
// through a switch that closes only for its pulses; Ext Trig fed by the 2450's digital
// line 1). Time is virtual: instruments advance it by what their operations take.
// Modelling simplifications: between generator pulses the SMU alone sets the node; the
// generator's idle level is not applied; trigger latency is zero.

import { VirtualClock } from './clock.ts';
import { Memristor, type MemristorParams, MemristorStateSchema } from './dut/memristor.ts';
import { z } from 'zod';
import type { BenchEnvironment } from './environment.ts';
import { SimKeithley2450 } from './keithley2450.ts';
import { SimKeysight33500B } from './keysight33500b.ts';
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
}

export const SIM_MODELS = ['keithley2450', 'keysight33500b'] as const;

/** The simulated instruments' *IDN? serial numbers start with this, so their data can never pass for measured data. */
export const SIM_SERIAL_PREFIX = 'NPSIM';

/** Whether an *IDN? reply comes from a NeuroProbe simulated instrument (in-process or over TCP). */
export function isSimulatorIdn(idn: string): boolean {
  return idn.split(',').some((f) => f.trim().startsWith(SIM_SERIAL_PREFIX));
}

export const SimBenchStateSchema = z.strictObject({ clockS: z.number().min(0), dut: MemristorStateSchema });
export type SimBenchState = z.infer<typeof SimBenchStateSchema>;
export type SimModel = (typeof SIM_MODELS)[number];

export class SimBench implements BenchEnvironment {
  readonly clock = new VirtualClock();
  readonly dut: Memristor;
  readonly smu = new SimKeithley2450();
  readonly generator = new SimKeysight33500B();
  private readonly faulty = new Map<SimModel, FaultyInstrument>();

  constructor(readonly config: SimBenchConfig = {}) {
    this.dut = new Memristor(config.device ?? {}, config.seed ?? 1, config.deviceIndex ?? 0);
    this.smu.attach(this);
    if (config.realTimeFactor !== undefined) this.smu.setRealTimeFactor(config.realTimeFactor);
    this.generator.attach(this);
  }

  /** The instrument as clients reach it (behind its injected fault, if any). */
  instrument(model: SimModel): SimInstrument {
    const inner = model === 'keithley2450' ? this.smu : this.generator;
    const fault = this.config.faults?.find((f) => f.instrument === model);
    if (!fault) return inner;
    let wrapped = this.faulty.get(model);
    if (!wrapped) this.faulty.set(model, (wrapped = new FaultyInstrument(inner, fault, this)));
    return wrapped;
  }

  /** The device's state and the virtual time, stored with each checkpoint of a simulated run. */
  snapshot(): SimBenchState {
    return { clockS: this.clock.nowS, dut: this.dut.snapshot() };
  }

  /** Continues from a checkpoint's state (resume): the same device, the same noise stream. */
  restore(state: unknown): void {
    const s = SimBenchStateSchema.parse(state);
    this.clock.restore(s.clockS);
    this.dut.restore(s.dut);
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
    for (const p of this.generator.pulsesBetween(t0, t1)) {
      if (p.startS > cursor) this.dut.apply(this.smuVoltage().v, p.startS - cursor);
      this.dut.apply(p.levelV, p.endS - p.startS);
      cursor = Math.max(cursor, p.endS);
    }
    if (t1 > cursor) this.dut.apply(this.smuVoltage().v, t1 - cursor);
    this.clock.advance(dtS);
  }

  smuCurrentA(): { currentA: number; voltageV: number; inCompliance: boolean } {
    const { v, limited } = this.smuVoltage();
    const i = this.dut.currentA(v);
    const limit = this.smu.drive().limitA;
    if (limited) return { currentA: Math.sign(i) * limit, voltageV: v, inCompliance: true };
    return { currentA: i, voltageV: v, inCompliance: false };
  }

  smuDigitalOut(line: number): void {
    if (line === 1) this.generator.externalTrigger();
  }
}
