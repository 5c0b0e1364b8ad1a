// Retention protocol v1.1 (metrics.md §8): read G_before, program with a train of identical
// pulses, then read at log-spaced times after the last pulse. The first train holds the
// programming and the first reads; further reads follow in chained trains of at most
// READS_PER_TRAIN reads each (one trigger model holds only so many blocks), every read
// time taken from the instrument's clock (its timestamp of each train's first read), so
// a 10⁴ s retention can have hundreds of reads. Between chained trains the output is off
// (0 V) for the host's round trip. Fits the stretched exponential and reports τ, β, the
// mean relaxation time and retained fractions.

import { analyseRetention } from '../analysis/retention.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible, COMPLIANCE_PARAM, READ_NPLC_PARAM } from './params.ts';
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
  reads: { kind: 'integer', unit: 'reads', default: 40, min: 6, max: 1000, help: 'log-spaced reads after programming (chained trains of up to 16 reads)' },
  complianceA: COMPLIANCE_PARAM,
  nplc: READ_NPLC_PARAM,
} as const;

export type RetentionParams = ParamValues<typeof RETENTION_PARAMS>;

const BEFORE_HOLD_S = 1e-3;
/** Reads per chained train (3 trigger-model blocks each on a 2450, within its 63). */
export const READS_PER_TRAIN = 16;

export function readTimes(p: RetentionParams): number[] {
  const n = p.reads;
  const [a, b] = [Math.log(p.firstReadS), Math.log(p.lastReadS)];
  return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
}

function aperture(p: RetentionParams, bench: BenchInstruments): number {
  return readApertureS(p.nplc, bench);
}

/** Read segments for reads `from..to-1`: each holds until its read time; the previous read's integration counts as elapsed. */
function readSegments(p: RetentionParams, from: number, to: number, ap: number): Segment[] {
  const times = readTimes(p);
  return times.slice(from, to).map((t, i) => {
    const k = from + i;
    return { levelV: p.readVoltageV, durationS: k === 0 ? t : t - times[k - 1] - ap, measure: true };
  });
}

/** Reads after programming, in train order: [from, to) per train. */
export function readBatches(p: RetentionParams): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < p.reads; k += READS_PER_TRAIN) out.push([k, Math.min(p.reads, k + READS_PER_TRAIN)]);
  return out;
}

function readsProgram(p: RetentionParams, from: number, to: number, bench: BenchInstruments): TrainProgram {
  return { prologue: readSegments(p, from, to, aperture(p, bench)), unit: [], repeat: 1, limitA: p.complianceA, nplc: p.nplc };
}

function program(p: RetentionParams, bench: BenchInstruments): TrainProgram {
  const v = p.readVoltageV;
  const ap = aperture(p, bench);
  const [, firstTo] = readBatches(p)[0];
  const reads = readSegments(p, 0, firstTo, ap);
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
  version: '1.1.0',
  title: 'Retention after programming',
  summary: 'G before, a programming train, then log-spaced reads in chained instrument-timed trains (any number of reads); stretched-exponential fit (metrics.md §8).',
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
    if (readSegments(p, 0, p.reads, aperture(p, bench)).some((s) => s.durationS <= 0)) throw new ParamError('the reads are closer together than one read integration; use fewer reads or a lower nplc');
    feasible('retention train', () => {
      bench.smu.validateTrain(prog);
      for (const [from, to] of readBatches(p).slice(1)) bench.smu.validateTrain(readsProgram(p, from, to, bench));
    });
  },

  estimateDurationS(p) {
    return p.pulses * p.pulseIntervalS + p.lastReadS;
  },

  async run(p, ctx) {
    const batches = readBatches(p);
    const times = readTimes(p);
    const report = (done: number) => ctx.progress(done, p.reads, `${done} of ${p.reads} retention reads`);
    // The end of programming on the instrument's clock (or, for an instrument without one, the planned timeline).
    let endClockS = ctx.resumeFrom?.programmingEndClockS;
    let first = ctx.resumeFrom?.nextBatch ?? 0;
    if (first === 0) {
      const prog = program(p, ctx.bench);
      const r = await playTrain(ctx, prog, { onReadings: (have) => report(Math.max(0, have - 1)) });
      // Instrument times are relative to the read before programming; programming takes pulses × interval after it.
      const relEnd = r.timeS[0] + p.pulses * p.pulseIntervalS;
      endClockS = (r.firstReadClockS ?? 0) + relEnd;
      ctx.data({
        channels: {
          t_s: r.timeS.map((t) => t - relEnd),
          i_read_A: r.currentA,
          v_read_V: r.voltageV,
          role: r.currentA.map((_, k) => (k === 0 ? 0 : 1)),
        },
        events: [{ tS: -p.pulses * p.pulseIntervalS, kind: 'programming', data: { pulses: p.pulses, amplitude_V: p.pulseAmplitudeV, width_s: p.pulseWidthS } }],
      });
      stopAtCurrentLimit(r, p.complianceA, (k) => (k === 0 ? 'the read before programming' : `retention read ${k}`), p.readVoltageV);
      report(batches[0][1]);
      first = 1;
      await ctx.checkpoint({ nextBatch: 1, programmingEndClockS: endClockS });
    }
    for (let b = first; b < batches.length; b++) {
      const [from, to] = batches[b];
      const r = await playTrain(ctx, readsProgram(p, from, to, ctx.bench), { onReadings: (have) => report(from + have) });
      // Without an instrument clock the reads are placed where they were planned (the host's gap is then unknown).
      const startS = r.firstReadClockS !== undefined && endClockS !== undefined ? r.firstReadClockS - endClockS : times[from];
      ctx.data({ channels: { t_s: r.timeS.map((t) => startS + t), i_read_A: r.currentA, v_read_V: r.voltageV, role: r.currentA.map(() => 1) } });
      stopAtCurrentLimit(r, p.complianceA, (k) => `retention read ${from + k + 1}`, p.readVoltageV);
      report(to);
      await ctx.checkpoint({ nextBatch: b + 1, ...(endClockS !== undefined ? { programmingEndClockS: endClockS } : {}) });
    }
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
