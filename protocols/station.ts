// A station is the bench in JSON: instruments (resource, model, role), wiring, safety
// limits per device, and optionally the simulated bench's settings. Stored with every run.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DRIVER_MODELS } from '../drivers/connect.ts';
import { MemristorParamsSchema } from '../drivers/sim/dut/memristor.ts';
import { FaultSchema } from '../drivers/sim/faults.ts';
import { parseResource } from '../drivers/transport/resource.ts';

const ROLE_OF_MODEL = { keithley2450: 'source-meter', keysight33500b: 'pulse-generator' } as const;

const InstrumentSchema = z.strictObject({
  id: z.string().min(1),
  model: z.enum(DRIVER_MODELS),
  resource: z.string().min(1),
  role: z.enum(['source-meter', 'pulse-generator']),
  timeoutMs: z.number().int().min(10).max(600_000).default(2000).describe('longest wait for any reply, ms (10 ms … 10 min)'),
  transport: z.enum(['auto', 'pyvisa']).default('auto').describe('pyvisa: go through the PyVISA bridge even for a raw socket'),
  baudRate: z.number().int().min(50).max(4_000_000).default(9600).describe('serial line speed for ASRL resources'),
});

export const LimitsSchema = z.strictObject({
  maxAbsVoltageV: z.number().positive().describe('largest |V| any source may apply to the device'),
  maxAbsCurrentA: z.number().positive().describe('largest |I| the device may carry'),
  complianceA: z.number().positive().describe('largest current limit a protocol may set'),
  minPulseWidthS: z.number().positive().describe('shortest pulse the device may receive'),
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
  };
}

export function usesSimulator(station: Station): boolean {
  return station.instruments.some((i) => parseResource(i.resource).kind === 'sim');
}

/** The built-in simulated bench used by the demo and by `run` without --station. */
export function simulatedStation(overrides: { seed?: number; deviceIndex?: number } = {}): Station {
  return parseStation(
    {
      name: 'Simulated bench (Keithley 2450 + Keysight 33522B, memristor model)',
      instruments: [
        { id: 'smu', model: 'keithley2450', resource: 'SIM::keithley2450', role: 'source-meter' },
        { id: 'awg', model: 'keysight33500b', resource: 'SIM::keysight33500b', role: 'pulse-generator' },
      ],
      wiring: { sourceMeter: 'smu', terminal: 'top electrode', pulseGenerator: { instrument: 'awg', channel: 1, trigger: 'smu-digital-line-1' } },
      limits: { maxAbsVoltageV: 5, maxAbsCurrentA: 10e-3, complianceA: 1e-3, minPulseWidthS: 100e-9 },
      // The simulated device wears out after about 6000 SET/RESET cycles (W < 2), so an
      // endurance run shows a failure; LTP/LTD runs switch direction too rarely to notice.
      simulation: { seed: overrides.seed ?? 1, deviceIndex: overrides.deviceIndex ?? 0, device: { wearOutCycles: 5000 } },
    },
    'built-in simulated station',
  );
}

/** Adds the station's measurement conditions to every metric's conditions. */
export function withStationConditions<T extends { conditions: Record<string, unknown> }>(metrics: T[], station: Pick<Station, 'conditions'>): T[] {
  const extra = station.conditions ?? {};
  if (Object.keys(extra).length === 0) return metrics;
  return metrics.map((m) => ({ ...m, conditions: { ...m.conditions, ...extra } }));
}
