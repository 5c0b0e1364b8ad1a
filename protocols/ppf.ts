// Paired-pulse facilitation protocol v1 (metrics.md §7): for each interval Δt (log-spaced,
// shortest to longest), the device settles, a baseline is read, then two identical pulses
// Δt apart (start to start) are each followed by a read. A₁, A₂ = read after pulse 1, 2
// minus the baseline read before the pair (one pre-pair baseline for both, so A₂ carries
// the residue of pulse 1 — the facilitation). Each pair is one hardware-timed train.

import { analysePpf, type PpfPair } from '../analysis/ppf.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible, COMPLIANCE_PARAM, READ_NPLC_PARAM } from './params.ts';
import { pulseAndReadSafety } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const PPF_PARAMS = {
  amplitudeV: { kind: 'number', unit: 'V', default: 0.5, min: -200, max: 200, nonZero: true, help: 'amplitude of both pulses' },
  widthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-9, max: 10, help: 'width of each pulse' },
  intervalMinS: { kind: 'number', unit: 's', default: 5e-3, min: 1e-6, max: 1000, help: 'shortest interval Δt (pulse start to pulse start)' },
  intervalMaxS: { kind: 'number', unit: 's', default: 3, min: 1e-6, max: 1000, help: 'longest interval Δt' },
  intervals: { kind: 'integer', unit: 'intervals', default: 16, min: 2, max: 1000, help: 'number of log-spaced intervals' },
  settleS: { kind: 'number', unit: 's', default: 10, min: 0, max: 1e5, help: 'rest at 0 V before each pair, so the previous pair has decayed' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage' },
  readDelayS: { kind: 'number', unit: 's', default: 1e-3, min: 0, max: 10, help: 'time at the read voltage after a pulse before the read' },
  complianceA: COMPLIANCE_PARAM,
  nplc: READ_NPLC_PARAM,
} as const;

export type PpfParams = ParamValues<typeof PPF_PARAMS>;

export function ppfIntervals(p: PpfParams): number[] {
  const n = p.intervals;
  const [a, b] = [Math.log(p.intervalMinS), Math.log(p.intervalMaxS)];
  return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
}

function aperture(p: PpfParams, bench: BenchInstruments): number {
  return readApertureS(p.nplc, bench);
}

function pairProgram(p: PpfParams, intervalS: number, bench: BenchInstruments): TrainProgram {
  const read: Segment = { levelV: p.readVoltageV, durationS: p.readDelayS, measure: true };
  const pulse: Segment = { levelV: p.amplitudeV, durationS: p.widthS };
  const gap = intervalS - p.widthS - p.readDelayS - aperture(p, bench);
  const settle = p.settleS;
  return {
    prologue: [...(settle > 0 ? [{ levelV: 0, durationS: settle }] : []), read, pulse, read, ...(gap > 1e-12 ? [{ levelV: 0, durationS: gap }] : [])],
    unit: [pulse, read],
    repeat: 1,
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

export const ppfProtocol: ProtocolDefinition<typeof PPF_PARAMS> = {
  id: 'ppf',
  version: '1.0.0',
  title: 'Paired-pulse facilitation',
  summary: 'Pulse pairs at log-spaced intervals; PPF ratio and percent, single vs double exponential decay by AIC (metrics.md §7).',
  params: PPF_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the read since the first pair started' },
    { name: 'i_read_A', unit: 'A', description: 'current at the read voltage' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the terminal during the read' },
    { name: 'pair', unit: '1', description: 'pair number, from 1' },
    { name: 'interval_s', unit: 's', description: 'interval Δt of this pair, pulse start to pulse start' },
    { name: 'role', unit: '1', description: '0 = baseline before the pair, 1 = after pulse 1, 2 = after pulse 2' },
  ],

  safetyViolations: pulseAndReadSafety,

  roles: () => [],

  checkFeasible(p, bench) {
    if (p.intervalMaxS <= p.intervalMinS) throw new ParamError(`intervalMaxS = ${p.intervalMaxS} s must exceed intervalMinS = ${p.intervalMinS} s`);
    const shortest = p.widthS + p.readDelayS + aperture(p, bench);
    if (p.intervalMinS < shortest - 1e-12) {
      throw new ParamError(`intervalMinS = ${p.intervalMinS} s is shorter than widthS + readDelayS + read integration (${shortest.toPrecision(3)} s)`);
    }
    for (const dt of ppfIntervals(p)) {
      feasible(`pair at Δt = ${dt.toPrecision(3)} s`, () => bench.smu.validateTrain(pairProgram(p, dt, bench)));
    }
  },

  async run(p, ctx) {
    const intervals = ppfIntervals(p);
    let offsetS = 0;
    const start = ctx.resumeFrom?.nextPair ?? 1;
    if (ctx.resumeFrom?.offsetS !== undefined) offsetS = ctx.resumeFrom.offsetS;
    const ap = aperture(p, ctx.bench);
    for (let k = start; k <= intervals.length; k++) {
      const dt = intervals[k - 1];
      const prog = pairProgram(p, dt, ctx.bench);
      const r = await playTrain(ctx, prog);
      const firstReadS = offsetS + p.settleS + p.readDelayS + ap;
      ctx.data({
        channels: {
          t_s: r.timeS.map((t) => firstReadS + t),
          i_read_A: r.currentA,
          v_read_V: r.voltageV,
          pair: r.currentA.map(() => k),
          interval_s: r.currentA.map(() => dt),
          role: r.currentA.map((_, i) => i),
        },
        events: [
          { tS: firstReadS + ap, kind: 'pulse', data: { pair: k, pulse: 1, amplitude_V: p.amplitudeV, width_s: p.widthS } },
          { tS: firstReadS + ap + dt, kind: 'pulse', data: { pair: k, pulse: 2, amplitude_V: p.amplitudeV, width_s: p.widthS } },
        ],
      });
      stopAtCurrentLimit(r, p.complianceA, (i) => `pair ${k} (Δt = ${dt.toPrecision(3)} s), read ${i}`, p.readVoltageV);
      const [b, r1, r2] = r.currentA;
      ctx.live([{ key: 'ppf.ratio', at: dt, atLabel: 'Δt (s)', value: (r2 - b) / (r1 - b), unit: '1' }]);
      offsetS += programDurationS(prog, ap);
      ctx.progress(k, intervals.length, `pair ${k}/${intervals.length} (Δt = ${dt.toPrecision(3)} s)`);
      await ctx.checkpoint({ nextPair: k + 1, offsetS });
    }
  },

  analyse(data, p) {
    const { pair, role, interval_s: interval, i_read_A: current } = data.channels;
    const byPair = new Map<number, { dt: number; reads: number[] }>();
    if (pair && role && interval && current) {
      for (let i = 0; i < current.length; i++) {
        let e = byPair.get(pair[i]);
        if (!e) byPair.set(pair[i], (e = { dt: interval[i], reads: [NaN, NaN, NaN] }));
        e.reads[role[i]] = current[i];
      }
    }
    const pairs: PpfPair[] = [...byPair.values()].map(({ dt, reads: [b, r1, r2] }) => ({ intervalS: dt, a1: r1 - b, a2: r2 - b }));
    const conditions = {
      amplitude_V: p.amplitudeV,
      width_s: p.widthS,
      read_voltage_V: p.readVoltageV,
      read_delay_s: p.readDelayS,
      settle_s: p.settleS,
      pairs: pairs.length,
      amplitudes: 'read after each pulse minus the baseline read before the pair (current)',
      temperature_K: null,
    };
    return { metrics: analysePpf(pairs, conditions), conditions };
  },
};
