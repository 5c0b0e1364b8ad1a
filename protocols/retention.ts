// Retention protocol v1 (metrics.md §8): read G_before, program with a train of identical
// pulses, then read at log-spaced times after the last pulse — all in one hardware-timed
// train, so every read time comes from the instrument's clock. Fits the stretched
// exponential and reports τ, β, the mean relaxation time and retained fractions.

import { analyseRetention } from '../analysis/retention.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues } from './params.ts';
import { safetyViolations } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const RETENTION_PARAMS = {
  pulseAmplitudeV: { kind: 'number', unit: 'V', default: 1.5, min: -200, max: 200, nonZero: true, help: 'amplitude of the programming pulses' },
  pulseWidthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-9, max: 10, help: 'width of each programming pulse' },
  pulses: { kind: 'integer', unit: 'pulses', default: 50, min: 1, max: 100_000, help: 'programming pulses' },
  pulseIntervalS: { kind: 'number', unit: 's', default: 20e-3, min: 1e-6, max: 100, help: 'programming pulse period' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage' },
  firstReadS: { kind: 'number', unit: 's', default: 0.1, min: 1e-3, max: 1e6, help: 'first read, after the last pulse' },
  lastReadS: { kind: 'number', unit: 's', default: 1e4, min: 1e-3, max: 1e7, help: 'last read, after the last pulse' },
  reads: { kind: 'integer', unit: 'reads', default: 16, min: 6, max: 17, help: 'log-spaced reads (the 2450 trigger model holds at most 17)' },
  complianceA: { kind: 'number', unit: 'A', default: 1e-3, min: 1e-9, max: 1, help: 'current limit of the source-meter' },
  nplc: { kind: 'number', unit: 'PLC', default: 0.01, min: 0.01, max: 10, help: 'integration time of each read' },
} as const;

export type RetentionParams = ParamValues<typeof RETENTION_PARAMS>;

const BEFORE_HOLD_S = 1e-3;

export function readTimes(p: RetentionParams): number[] {
  const n = p.reads;
  const [a, b] = [Math.log(p.firstReadS), Math.log(p.lastReadS)];
  return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
}

function aperture(p: RetentionParams, bench: BenchInstruments): number {
  return readApertureS(p.nplc, bench);
}

function program(p: RetentionParams, bench: BenchInstruments): TrainProgram {
  const v = p.readVoltageV;
  const ap = aperture(p, bench);
  const times = readTimes(p);
  // Each read segment holds until its read time; the previous read's integration counts as elapsed.
  const reads: Segment[] = times.map((t, k) => ({ levelV: v, durationS: k === 0 ? t : t - times[k - 1] - ap, measure: true }));
  const rest = p.pulseIntervalS - p.pulseWidthS;
  return {
    prologue: [{ levelV: v, durationS: BEFORE_HOLD_S, measure: true }],
    unit: [...(rest > 1e-12 ? [{ levelV: 0, durationS: rest }] : []), { levelV: p.pulseAmplitudeV, durationS: p.pulseWidthS }],
    repeat: p.pulses,
    epilogue: reads,
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

export const retentionProtocol: ProtocolDefinition<typeof RETENTION_PARAMS> = {
  id: 'retention',
  version: '1.0.0',
  title: 'Retention after programming',
  summary: 'G before, a programming train, then log-spaced reads in one hardware-timed train; stretched-exponential fit (metrics.md §8).',
  params: RETENTION_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time since the end of the last programming pulse (negative: the read before programming)' },
    { name: 'i_read_A', unit: 'A', description: 'current at the read voltage' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the terminal during the read' },
    { name: 'role', unit: '1', description: '0 = read before programming, 1 = read after' },
  ],

  safetyViolations(p, limits) {
    return safetyViolations(limits, {
      voltages: [
        ['pulseAmplitudeV', p.pulseAmplitudeV],
        ['readVoltageV', p.readVoltageV],
      ],
      widths: [['pulseWidthS', p.pulseWidthS]],
      complianceA: p.complianceA,
    });
  },

  roles: () => [],

  checkFeasible(p, bench) {
    if (p.lastReadS <= p.firstReadS) throw new ParamError(`lastReadS = ${p.lastReadS} s must exceed firstReadS = ${p.firstReadS} s`);
    if (p.pulseIntervalS < p.pulseWidthS) throw new ParamError(`pulseIntervalS = ${p.pulseIntervalS} s is shorter than pulseWidthS = ${p.pulseWidthS} s`);
    const prog = program(p, bench);
    if ((prog.epilogue ?? []).some((s) => s.durationS <= 0)) throw new ParamError('the reads are closer together than one read integration; use fewer reads or a lower nplc');
    try {
      bench.smu.validateTrain(prog);
    } catch (e) {
      throw new ParamError(`retention train: ${(e as Error).message}`);
    }
  },

  async run(p, ctx) {
    const prog = program(p, ctx.bench);
    const r = await playTrain(ctx, prog, { onReadings: (have, expected) => ctx.progress(have, expected, `${Math.max(0, have - 1)} of ${expected - 1} retention reads`) });
    // Instrument times are relative to the read before programming; programming takes pulses × interval after it.
    const programmingEndS = r.timeS[0] + p.pulses * p.pulseIntervalS;
    ctx.data({
      channels: {
        t_s: r.timeS.map((t) => t - programmingEndS),
        i_read_A: r.currentA,
        v_read_V: r.voltageV,
        role: r.currentA.map((_, k) => (k === 0 ? 0 : 1)),
      },
      events: [{ tS: -p.pulses * p.pulseIntervalS, kind: 'programming', data: { pulses: p.pulses, amplitude_V: p.pulseAmplitudeV, width_s: p.pulseWidthS } }],
    });
    stopAtCurrentLimit(r, p.complianceA, (k) => (k === 0 ? 'the read before programming' : `retention read ${k}`), p.readVoltageV);
    ctx.progress(r.currentA.length, r.currentA.length, 'retention reads done');
  },

  analyse(data, p) {
    const { t_s: t, i_read_A: current, role } = data.channels;
    const v = p.readVoltageV;
    let gBefore = NaN;
    const tS: number[] = [];
    const g: number[] = [];
    for (let i = 0; i < (current?.length ?? 0); i++) {
      if (role[i] === 0) gBefore = current[i] / v;
      else {
        tS.push(t[i]);
        g.push(current[i] / v);
      }
    }
    const conditions = {
      pulse_amplitude_V: p.pulseAmplitudeV,
      pulse_width_s: p.pulseWidthS,
      pulses: p.pulses,
      pulse_interval_s: p.pulseIntervalS,
      read_voltage_V: p.readVoltageV,
      first_read_s: p.firstReadS,
      last_read_s: p.lastReadS,
      reads: tS.length,
      temperature_K: null,
    };
    return { metrics: analyseRetention({ tS, g, gBefore, unit: 'S', conditions }), conditions };
  },
};
