// Short- to long-term transition protocol v1 (metrics.md §13). Trains of n = 1, 2, 4, …
// identical pulses; each train is one instrument-timed program: rest at 0 V (so the
// previous train's volatile part has decayed), a read before, the n pulses, then a read
// at t_first and one at t_late after the end of the train (t_late = lateFactor × the
// train length, at least lateMinS). retained(n) = (G_late − G_before)/(G_first − G_before).

import { analyseStpLtp, type StpTrain } from '../analysis/stp-ltp.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible, COMPLIANCE_PARAM, READ_NPLC_PARAM } from './params.ts';
import { pulseAndReadSafety } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const STP_LTP_PARAMS = {
  amplitudeV: { kind: 'number', unit: 'V', default: 1.0, min: -200, max: 200, nonZero: true, help: 'pulse amplitude' },
  widthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-9, max: 10, help: 'pulse width' },
  intervalS: { kind: 'number', unit: 's', default: 10e-3, min: 1e-6, max: 100, help: 'pulse period within a train' },
  nMax: { kind: 'integer', unit: 'pulses', default: 64, min: 1, max: 100_000, help: 'largest train; trains are 1, 2, 4, … up to this' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage' },
  firstReadS: { kind: 'number', unit: 's', default: 5e-3, min: 1e-3, max: 100, help: 't_first: the first read after the end of the train' },
  lateFactor: { kind: 'number', unit: '×', default: 10, min: 1.5, max: 1e4, help: 't_late = lateFactor × the train length' },
  lateMinS: { kind: 'number', unit: 's', default: 0.1, min: 1e-3, max: 1e5, help: 't_late is at least this' },
  settleS: { kind: 'number', unit: 's', default: 5, min: 0, max: 1e5, help: 'rest at 0 V before each train' },
  criterion: { kind: 'number', unit: '1', default: 0.5, min: 0.01, max: 0.99, help: 'retained fraction that marks the transition' },
  complianceA: COMPLIANCE_PARAM,
  nplc: READ_NPLC_PARAM,
} as const;

export type StpLtpParams = ParamValues<typeof STP_LTP_PARAMS>;

export function trainSizes(p: StpLtpParams): number[] {
  const out: number[] = [];
  for (let n = 1; n <= p.nMax; n *= 2) out.push(n);
  if (out[out.length - 1] !== p.nMax) out.push(p.nMax);
  return out;
}

/** t_late after the end of a train of n pulses, s. */
export function lateS(p: StpLtpParams, n: number): number {
  return Math.max(p.lateMinS, p.lateFactor * n * p.intervalS);
}

function trainProgram(p: StpLtpParams, n: number, bench: BenchInstruments): TrainProgram {
  const ap = readApertureS(p.nplc, bench);
  const rest = p.intervalS - p.widthS;
  const unit: Segment[] = [{ levelV: p.amplitudeV, durationS: p.widthS }, ...(rest > 1e-12 ? [{ levelV: 0, durationS: rest }] : [])];
  return {
    prologue: [...(p.settleS > 0 ? [{ levelV: 0, durationS: p.settleS }] : []), { levelV: p.readVoltageV, durationS: 1e-3, measure: true }],
    unit,
    repeat: n,
    epilogue: [
      { levelV: p.readVoltageV, durationS: p.firstReadS, measure: true },
      { levelV: p.readVoltageV, durationS: lateS(p, n) - p.firstReadS - ap, measure: true },
    ],
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

export const stpLtpProtocol: ProtocolDefinition<typeof STP_LTP_PARAMS> = {
  id: 'stp-ltp',
  version: '1.0.0',
  title: 'Short- to long-term transition',
  summary: 'Trains of 1, 2, 4, … pulses, each followed by an early and a late read; retained fraction vs n and the transition n (metrics.md §13).',
  params: STP_LTP_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the read since the run started' },
    { name: 'i_read_A', unit: 'A', description: 'current at the read voltage' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the read' },
    { name: 'n', unit: 'pulses', description: 'pulses in this train' },
    { name: 'role', unit: '1', description: '0 = before the train, 1 = at t_first, 2 = at t_late' },
  ],

  safetyViolations: pulseAndReadSafety,

  roles: () => [],

  checkFeasible(p, bench) {
    if (p.intervalS < p.widthS) throw new ParamError(`intervalS = ${p.intervalS} s is shorter than widthS = ${p.widthS} s`);
    const ap = readApertureS(p.nplc, bench);
    for (const n of trainSizes(p)) {
      if (lateS(p, n) - p.firstReadS - ap <= 0) throw new ParamError(`t_late (${lateS(p, n)} s) must come after t_first + read (${(p.firstReadS + ap).toPrecision(3)} s)`);
    }
    feasible('', () => bench.smu.validateTrain(trainProgram(p, p.nMax, bench)));
  },

  estimateDurationS(p, lineFrequencyHz) {
    const ap = p.nplc / lineFrequencyHz;
    return trainSizes(p).reduce((s, n) => s + p.settleS + 3 * ap + 1e-3 + n * p.intervalS + lateS(p, n), 0);
  },

  async run(p, ctx) {
    const sizes = trainSizes(p);
    const ap = readApertureS(p.nplc, ctx.bench);
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    for (let k = ctx.resumeFrom?.nextTrain ?? 1; k <= sizes.length; k++) {
      const n = sizes[k - 1];
      const prog = trainProgram(p, n, ctx.bench);
      const r = await playTrain(ctx, prog);
      const first = offsetS + p.settleS + 1e-3 + ap;
      ctx.data({
        channels: { t_s: r.timeS.map((t) => first + t), i_read_A: r.currentA, v_read_V: r.voltageV, n: r.currentA.map(() => n), role: r.currentA.map((_, i) => i) },
        events: [{ tS: first + ap, kind: 'train', data: { n, amplitude_V: p.amplitudeV, width_s: p.widthS, interval_s: p.intervalS } }],
      });
      stopAtCurrentLimit(r, p.complianceA, (i) => `train of ${n}, read ${i}`, p.readVoltageV);
      const [gb, gf, gl] = r.currentA.map((i, j) => i / r.voltageV[j]);
      ctx.live([{ key: 'stp.retained', at: n, atLabel: 'pulses n', value: (gl - gb) / (gf - gb), unit: '1' }]);
      offsetS += programDurationS(prog, ap);
      ctx.progress(k, sizes.length, `train ${k}/${sizes.length} (n = ${n})`);
      await ctx.checkpoint({ nextTrain: k + 1, offsetS });
    }
  },

  analyse(data, p) {
    const { n, role, i_read_A: current, v_read_V: v } = data.channels;
    const byN = new Map<number, [number, number, number]>();
    if (n && role && current && v) {
      for (let i = 0; i < current.length; i++) {
        const e = byN.get(n[i]) ?? [NaN, NaN, NaN];
        e[role[i]] = current[i] / v[i];
        byN.set(n[i], e);
      }
    }
    const trains: StpTrain[] = [...byN.entries()].sort((a, b) => a[0] - b[0]).map(([size, [b, f, l]]) => ({ n: size, gBefore: b, gFirst: f, gLate: l }));
    const conditions = {
      amplitude_V: p.amplitudeV,
      width_s: p.widthS,
      interval_s: p.intervalS,
      first_read_s: p.firstReadS,
      late_read: `max(${p.lateMinS} s, ${p.lateFactor} × train length) after the train`,
      read_voltage_V: p.readVoltageV,
      settle_s: p.settleS,
      temperature_K: null,
    };
    return { metrics: analyseStpLtp(trains, p.criterion, conditions), conditions };
  },
};
