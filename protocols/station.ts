// A station is the bench in JSON: instruments (resource, model, role), wiring, safety
// limits per device, and optionally the simulated bench's settings. Stored with every run.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DRIVER_MODELS, ROLE_OF_MODEL } from '../drivers/connect.ts';
import type { SimBenchConfig } from '../drivers/sim/bench.ts';
import { type MemristorParams, MemristorParamsSchema } from '../drivers/sim/dut/memristor.ts';
import { FaultSchema } from '../drivers/sim/faults.ts';
import { parseResource } from '../drivers/transport/resource.ts';

export const INSTRUMENT_ROLES = ['source-meter', 'pulse-generator', 'rotation-stage', 'oscilloscope'] as const;

const InstrumentSchema = z.strictObject({
  id: z.string().min(1),
  model: z.enum(DRIVER_MODELS),
  resource: z.string().min(1),
  role: z.enum(INSTRUMENT_ROLES),
  timeoutMs: z.number().int().min(10).max(600_000).default(2000).describe('longest wait for any reply, ms (10 ms … 10 min)'),
  transport: z.enum(['auto', 'pyvisa']).default('auto').describe('pyvisa: go through the PyVISA bridge even for a raw socket'),
  baudRate: z.number().int().min(50).max(4_000_000).optional().describe("serial line speed for ASRL resources (default: the model's own, e.g. 9600 for an ELL14, 115200 for a K10CR1)"),
  smuChannel: z.enum(['a', 'b']).optional().describe('Keithley 2600B: the channel on the device terminal, smua or smub (default a)'),
  address: z.string().regex(/^[0-9A-Fa-f]$/, 'one hex digit 0–F').optional().describe('bus address of an Elliptec stage (0–F; default 0) or a CONEX controller (1–F)'),
});

export const LimitsSchema = z.strictObject({
  maxAbsVoltageV: z.number().positive().describe('largest |V| any source may apply to the device'),
  maxAbsCurrentA: z.number().positive().describe('largest |I| the device may carry'),
  complianceA: z.number().positive().describe('largest current limit a protocol may set'),
  minPulseWidthS: z.number().positive().describe('shortest pulse the device may receive'),
  maxOpticalPowerMw: z.number().positive().optional().describe('largest optical power at the sample, mW (needed before any light source is used)'),
});
export type Limits = z.infer<typeof LimitsSchema>;

export const StationSchema = z
  .strictObject({
    name: z.string().min(1),
    instruments: z.array(InstrumentSchema).min(1),
    wiring: z.strictObject({
      sourceMeter: z.string().describe('id of the SMU on the device terminal'),
      terminal: z.string().default('top electrode'),
      pulseGenerator: z
        .strictObject({
          instrument: z.string(),
          channel: z.number().int().min(1),
          trigger: z.literal('smu-digital-line-1').describe("the SMU's digital line 1 drives the generator's Ext Trig input"),
        })
        .optional(),
      lightSource: z
        .strictObject({
          instrument: z.string().describe('id of the pulse generator whose channel gates the light source (TTL)'),
          channel: z.number().int().min(1),
          gateLevelV: z.number().positive().max(10).default(5).describe('gate (TTL) high level, V'),
          trigger: z.literal('smu-digital-line-1').describe("the SMU's digital line 1 drives the generator's Ext Trig input"),
          wavelengthNm: z.number().positive().describe('wavelength of the light, nm'),
          powerAtSampleMw: z.number().positive().describe('calibrated optical power at the sample while the gate is high, mW'),
          calibratedOn: z.string().max(64).optional().describe('when the power at the sample was measured (ISO date)'),
          spotAreaM2: z.number().positive().optional().describe('illuminated spot area at the sample, m²'),
        })
        .optional(),
      rotationStage: z
        .strictObject({
          instrument: z.string().describe('id of the rotation stage'),
          holds: z.literal('polarizer').default('polarizer').describe('what the stage turns: a linear polarizer in the light source\'s beam'),
          minDeg: z.number().min(-720).max(720).default(0).describe('smallest angle any protocol may ask for, degrees'),
          maxDeg: z.number().min(-720).max(720).default(360).describe('largest angle any protocol may ask for, degrees'),
          angleOffsetDeg: z.number().min(-360).max(360).default(0).describe('stage reading at which the polarizer axis is at 0° in the lab frame'),
        })
        .optional(),
      oscilloscope: z
        .strictObject({
          instrument: z.string().describe('id of the oscilloscope'),
          voltageChannel: z.number().int().min(1).describe('channel measuring the voltage across the device'),
          currentChannel: z.number().int().min(1).describe('channel measuring the device current through the current sense'),
          currentSense: z
            .discriminatedUnion('kind', [
              z.strictObject({ kind: z.literal('shunt'), ohms: z.number().positive().describe('series shunt resistor, Ω (its drop is not corrected)') }),
              z.strictObject({ kind: z.literal('amplifier'), voltsPerAmpere: z.number().positive().describe('transimpedance gain of the current amplifier or probe, V/A') }),
            ])
            .describe('how the current channel turns current into volts'),
          trigger: z.literal('smu-digital-line-1').describe("the SMU's digital line 1 also drives the scope's EXT trigger input"),
        })
        .optional(),
    }),
    limits: LimitsSchema,
    deviceLimits: z.record(z.string(), LimitsSchema.partial()).default({}),
    conditions: z
      .record(z.string().min(1).max(64), z.union([z.number(), z.string().max(256)]))
      .default({})
      .refine((c) => Object.keys(c).length <= 64, 'at most 64 conditions')
      .describe('measurement conditions stored with every metric, e.g. {"temperature_K": 300, "device_area_m2": 1e-12}'),
    simulation: z
      .strictObject({
        seed: z.number().int().default(1),
        deviceIndex: z.number().int().min(0).default(0),
        device: MemristorParamsSchema.partial().strict().default({}),
        faults: z.array(FaultSchema).default([]).describe('injected faults, to rehearse failures'),
        realTimeFactor: z.number().positive().optional().describe('play pulse trains in wall-clock time (1 = real time); default: as fast as possible'),
        lightPowerMw: z.number().positive().optional().describe("the simulated laser's true power at the sample, mW (default: the calibration in wiring.lightSource)"),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.instruments.forEach((inst, i) => {
      if (ids.has(inst.id)) ctx.addIssue({ code: 'custom', path: ['instruments', i, 'id'], message: `duplicate instrument id "${inst.id}"` });
      ids.add(inst.id);
      if (ROLE_OF_MODEL[inst.model] !== inst.role) {
        ctx.addIssue({ code: 'custom', path: ['instruments', i, 'role'], message: `model ${inst.model} has role ${ROLE_OF_MODEL[inst.model]}, not ${inst.role}` });
      }
      try {
        parseResource(inst.resource);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['instruments', i, 'resource'], message: (e as Error).message });
      }
    });
    // Per-device limits exist to protect a fragile device: they may only tighten the station's.
    for (const [device, lim] of Object.entries(s.deviceLimits)) {
      for (const [field, v] of Object.entries(lim) as [keyof Limits, number][]) {
        const station = s.limits[field];
        if (station === undefined) continue;
      const loosens = field === 'minPulseWidthS' ? v < station : v > station;
        if (loosens) {
          ctx.addIssue({
            code: 'custom',
            path: ['deviceLimits', device, field],
            message: `${v} would loosen the station limit limits.${field} = ${station}; per-device limits may only tighten (${field === 'minPulseWidthS' ? 'be ≥' : 'be ≤'} ${station})`,
          });
        }
      }
    }
    const byId = new Map(s.instruments.map((i) => [i.id, i]));
    if (byId.get(s.wiring.sourceMeter)?.role !== 'source-meter') {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'sourceMeter'], message: `"${s.wiring.sourceMeter}" is not the id of a source-meter in instruments` });
    }
    const g = s.wiring.pulseGenerator;
    if (g && byId.get(g.instrument)?.role !== 'pulse-generator') {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'pulseGenerator', 'instrument'], message: `"${g.instrument}" is not the id of a pulse-generator in instruments` });
    }
    const l = s.wiring.lightSource;
    if (l && byId.get(l.instrument)?.role !== 'pulse-generator') {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'lightSource', 'instrument'], message: `"${l.instrument}" is not the id of a pulse-generator in instruments (the light source is gated by a generator channel)` });
    }
    if (l && g && l.instrument === g.instrument && l.channel === g.channel) {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'lightSource', 'channel'], message: `channel ${l.channel} of "${l.instrument}" already drives the device; the light gate needs another channel` });
    }
    if (l && s.limits.maxOpticalPowerMw === undefined) {
      ctx.addIssue({ code: 'custom', path: ['limits', 'maxOpticalPowerMw'], message: 'a station with a light source must set the largest optical power the device may receive, mW' });
    }
    const r = s.wiring.rotationStage;
    if (r && byId.get(r.instrument)?.role !== 'rotation-stage') {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'rotationStage', 'instrument'], message: `"${r.instrument}" is not the id of a rotation-stage in instruments` });
    }
    const o = s.wiring.oscilloscope;
    if (o && byId.get(o.instrument)?.role !== 'oscilloscope') {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'oscilloscope', 'instrument'], message: `"${o.instrument}" is not the id of an oscilloscope in instruments` });
    }
    if (o && o.voltageChannel === o.currentChannel) {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'oscilloscope', 'currentChannel'], message: 'the voltage and current channels must differ' });
    }
    if (r && r.maxDeg <= r.minDeg) {
      ctx.addIssue({ code: 'custom', path: ['wiring', 'rotationStage', 'maxDeg'], message: `maxDeg ${r.maxDeg}° must exceed minDeg ${r.minDeg}°` });
    }
  });

export type Station = z.infer<typeof StationSchema>;
export type StationInstrument = Station['instruments'][number];

export class StationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StationError';
  }
}

export function parseStation(raw: unknown, source: string): Station {
  const r = StationSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new StationError(`station ${source} is invalid:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
}

export function loadStationFile(path: string): Station {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StationError(`cannot read station file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StationError(`station file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseStation(raw, `file ${path}`);
}

/** Safety limits for one device: the station's, tightened by any per-device entry (never loosened, even if parsing was bypassed). */
export function limitsFor(station: Station, device: string): Limits {
  const d = station.deviceLimits[device] ?? {};
  const s = station.limits;
  return {
    maxAbsVoltageV: Math.min(s.maxAbsVoltageV, d.maxAbsVoltageV ?? Infinity),
    maxAbsCurrentA: Math.min(s.maxAbsCurrentA, d.maxAbsCurrentA ?? Infinity),
    complianceA: Math.min(s.complianceA, d.complianceA ?? Infinity),
    minPulseWidthS: Math.max(s.minPulseWidthS, d.minPulseWidthS ?? 0),
    ...(s.maxOpticalPowerMw !== undefined || d.maxOpticalPowerMw !== undefined
      ? { maxOpticalPowerMw: Math.min(s.maxOpticalPowerMw ?? Infinity, d.maxOpticalPowerMw ?? Infinity) }
      : {}),
  };
}

/** What bounds a protocol's settings beyond the device limits: the stage's allowed travel (lab-frame angles). */
export interface BenchSafety {
  stage?: { minDeg: number; maxDeg: number; offsetDeg: number };
}

export function benchSafety(station: Station): BenchSafety {
  const r = station.wiring.rotationStage;
  return r ? { stage: { minDeg: r.minDeg, maxDeg: r.maxDeg, offsetDeg: r.angleOffsetDeg } } : {};
}

/** The simulated bench a station describes: its device settings and how the generator's channels are wired. */
export function simBenchConfig(station: Station): SimBenchConfig {
  const sim = station.simulation;
  const ch = (n: number | undefined) => (n === 1 || n === 2 ? n : undefined);
  return {
    seed: sim?.seed,
    deviceIndex: sim?.deviceIndex,
    device: sim?.device,
    faults: sim?.faults,
    realTimeFactor: sim?.realTimeFactor,
    deviceChannel: ch(station.wiring.pulseGenerator?.channel),
    lightChannel: ch(station.wiring.lightSource?.channel),
    lightPowerMw: sim?.lightPowerMw ?? station.wiring.lightSource?.powerAtSampleMw,
    polarizerStage: ((m) => (m === 'thorlabs-k10cr1' || m === 'newport-conex-agp' ? m : 'thorlabs-ell14'))(station.instruments.find((i) => i.id === station.wiring.rotationStage?.instrument)?.model),
    smuModel: ((m) => (m === 'keithley2400' || m === 'keysight-b2900' || m === 'keithley2600b' ? m : 'keithley2450'))(station.instruments.find((i) => i.id === station.wiring.sourceMeter)?.model),
    smuChannel: station.instruments.find((i) => i.id === station.wiring.sourceMeter)?.smuChannel,
    generatorModel: ((m) => (m === 'tektronix-afg31000' || m === 'keysight-81160a' ? m : 'keysight33500b'))(station.instruments.find((i) => i.id === (station.wiring.pulseGenerator ?? station.wiring.lightSource)?.instrument)?.model),
    ...(station.wiring.oscilloscope ? { scope: { voltageChannel: station.wiring.oscilloscope.voltageChannel, currentChannel: station.wiring.oscilloscope.currentChannel, voltsPerAmpere: voltsPerAmpere(station.wiring.oscilloscope.currentSense) } } : {}),
  };
}

/** Volts on the scope's current channel per ampere of device current. */
export function voltsPerAmpere(sense: NonNullable<Station['wiring']['oscilloscope']>['currentSense']): number {
  return sense.kind === 'shunt' ? sense.ohms : sense.voltsPerAmpere;
}

export function usesSimulator(station: Station): boolean {
  return station.instruments.some((i) => parseResource(i.resource).kind === 'sim');
}

/** The built-in simulated bench used by the demo and by `run` without --station. */
/**
 * The built-in bench hands each experiment a device of the simulated die that suits it:
 * a pristine one for forming, one with short-term (volatile) plasticity for PPF and
 * STP→LTP. Other protocols get the standard device (no volatile part, so LTP/LTD reads
 * show the programmed state only). The station name says which.
 */
const BUILT_IN_DEVICE_FOR: Record<string, { note: string; device: Partial<MemristorParams> }> = {
  forming: { note: 'pristine device', device: { pristine: true } },
  ppf: { note: 'device with short-term plasticity', device: { volatileStepS: [2e-6, 1e-6], volatileTauS: [0.05, 1] } },
  'stp-ltp': { note: 'device with short-term plasticity', device: { volatileStepS: [3e-6, 0], volatileTauS: [0.05, 1] } },
};

export function simulatedStation(overrides: { seed?: number; deviceIndex?: number; protocol?: string } = {}): Station {
  const variant = overrides.protocol ? BUILT_IN_DEVICE_FOR[overrides.protocol] : undefined;
  return parseStation(
    {
      name: `Simulated bench (Keithley 2450 + Keysight 33522B + gated laser + Elliptec ELL14 polarizer + InfiniiVision scope; memristor model${variant ? `, ${variant.note}` : ''})`,
      instruments: [
        { id: 'smu', model: 'keithley2450', resource: 'SIM::keithley2450', role: 'source-meter' },
        { id: 'awg', model: 'keysight33500b', resource: 'SIM::keysight33500b', role: 'pulse-generator' },
        { id: 'stage', model: 'thorlabs-ell14', resource: 'SIM::thorlabs-ell14', role: 'rotation-stage' },
        { id: 'scope', model: 'keysight-infiniivision', resource: 'SIM::keysight-infiniivision', role: 'oscilloscope' },
      ],
      wiring: {
        sourceMeter: 'smu',
        terminal: 'top electrode',
        pulseGenerator: { instrument: 'awg', channel: 1, trigger: 'smu-digital-line-1' },
        lightSource: { instrument: 'awg', channel: 2, gateLevelV: 5, trigger: 'smu-digital-line-1', wavelengthNm: 532, powerAtSampleMw: 1 },
        rotationStage: { instrument: 'stage', holds: 'polarizer', minDeg: 0, maxDeg: 360 },
        oscilloscope: { instrument: 'scope', voltageChannel: 1, currentChannel: 2, currentSense: { kind: 'amplifier', voltsPerAmpere: 1e4 }, trigger: 'smu-digital-line-1' },
      },
      limits: { maxAbsVoltageV: 5, maxAbsCurrentA: 10e-3, complianceA: 1e-3, minPulseWidthS: 100e-9, maxOpticalPowerMw: 5 },
      // The simulated device wears out after about 6000 SET/RESET cycles (W < 2), so an
      // endurance run shows a failure; LTP/LTD runs switch direction too rarely to notice.
      // Its photoresponse is anisotropic (PR 4 along 30°), and a pristine device (forming
      // runs) forms at 3 V.
      simulation: {
        seed: overrides.seed ?? 1,
        deviceIndex: overrides.deviceIndex ?? 0,
        device: {
          wearOutCycles: 5000,
          photoCurrentMinA: 20e-9,
          photoCurrentMaxA: 80e-9,
          polarizationAngleDeg: 30,
          photoStepS: 4e-9,
          formingVoltageV: 3,
          ...(variant?.device ?? {}),
        },
      },
    },
    'built-in simulated station',
  );
}

/**
 * The station-level conditions of one run: the station's own, plus the light source's
 * calibration (wavelength, power at the sample, spot) when the run used the light.
 */
export function runConditions(station: Pick<Station, 'conditions'> & { wiring?: Partial<Station['wiring']> }, roles: readonly string[]): Record<string, number | string> {
  const out: Record<string, number | string> = { ...(station.conditions ?? {}) };
  const l = station.wiring?.lightSource;
  if (l && roles.includes('light-source')) {
    out.wavelength_nm = l.wavelengthNm;
    out.optical_power_mW = l.powerAtSampleMw;
    if (l.spotAreaM2 !== undefined) out.spot_area_m2 = l.spotAreaM2;
    if (l.calibratedOn !== undefined) out.power_calibrated_on = l.calibratedOn;
  }
  return out;
}

/** Adds the station's measurement conditions to every metric's conditions. */
export function withStationConditions<T extends { conditions: Record<string, unknown> }>(metrics: T[], station: Pick<Station, 'conditions'>): T[] {
  const extra = station.conditions ?? {};
  if (Object.keys(extra).length === 0) return metrics;
  return metrics.map((m) => ({ ...m, conditions: { ...m.conditions, ...extra } }));
}
