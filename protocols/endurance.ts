// Endurance protocol v1 (metrics.md §4): SET pulse, read, RESET pulse, read — every
// cycle read, never sampled sparsely. Cycles are played in hardware-timed trains of
// `cyclesPerTrain`; analysis is streamed, so 10⁶ cycles need no more memory than the
// stored reads. Failure: W = G_LRS/G_HRS below the criterion for 10 consecutive cycles.

import { EnduranceAccumulator } from '../analysis/endurance.ts';
import type { Conditions } from '../analysis/metric.ts';
import type { Segment, TrainProgram, TrainReadings } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { AT_LIMIT_FRACTION, playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible, COMPLIANCE_PARAM, READ_NPLC_PARAM } from './params.ts';
import { safetyViolations } from './safety.ts';
import type { BenchInstruments, DataChunk, ProtocolDefinition, RunData } from './protocol.ts';

export const ENDURANCE_PARAMS = {
  setAmplitudeV: { kind: 'number', unit: 'V', default: 3, min: 0, max: 200, nonZero: true, help: 'SET (potentiating) pulse amplitude' },
  setWidthS: { kind: 'number', unit: 's', default: 50e-3, min: 1e-9, max: 10, help: 'SET pulse width' },
  resetAmplitudeV: { kind: 'number', unit: 'V', default: -3, min: -200, max: 0, nonZero: true, help: 'RESET (depressing) pulse amplitude' },
  resetWidthS: { kind: 'number', unit: 's', default: 50e-3, min: 1e-9, max: 10, help: 'RESET pulse width' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage (G = I_read / V_read)' },
  readDelayS: { kind: 'number', unit: 's', default: 1e-3, min: 0, max: 10, help: 'time at the read voltage before each read' },
  cycles: { kind: 'integer', unit: 'cycles', default: 10_000, min: 1, max: 100_000_000, help: 'SET/RESET cycles' },
  cyclesPerTrain: { kind: 'integer', unit: 'cycles', default: 1000, min: 1, max: 100_000, help: 'cycles played per hardware-timed train (one round trip each)' },
  complianceA: COMPLIANCE_PARAM,
  nplc: READ_NPLC_PARAM,
  windowCriterion: { kind: 'number', unit: '1', default: 2, min: 1, max: 1e6, help: 'memory window W = G_LRS/G_HRS below which a cycle fails' },
  stopAfterFailure: { kind: 'enum', unit: '', default: 'yes', choices: ['yes', 'no'], help: 'stop when the failure criterion is met' },
} as const;

export type EnduranceParams = ParamValues<typeof ENDURANCE_PARAMS>;

const CONSECUTIVE = 10;

function program(p: EnduranceParams, cycles: number): TrainProgram {
  const read: Segment = { levelV: p.readVoltageV, durationS: p.readDelayS, measure: true };
  return {
    prologue: [],
    unit: [{ levelV: p.setAmplitudeV, durationS: p.setWidthS }, read, { levelV: p.resetAmplitudeV, durationS: p.resetWidthS }, read],
    repeat: cycles,
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

function chunk(r: TrainReadings, firstCycle: number, offsetS: number): DataChunk {
  return {
    channels: {
      t_s: r.timeS.map((t) => offsetS + t),
      i_read_A: r.currentA,
      v_read_V: r.voltageV,
      cycle: r.currentA.map((_, k) => firstCycle + Math.floor(k / 2)),
      state: r.currentA.map((_, k) => (k % 2 === 0 ? 1 : 0)),
    },
  };
}

/** Feeds reads, chunk by chunk, into the endurance accumulator: (LRS, HRS) pairs per cycle. */
function enduranceFeeder(p: EnduranceParams): { acc: EnduranceAccumulator; feed(data: RunData): void } {
  const acc = new EnduranceAccumulator({ windowCriterion: p.windowCriterion, consecutive: CONSECUTIVE, keepWindow: false });
  const v = p.readVoltageV;
  const limit = AT_LIMIT_FRACTION * p.complianceA;
  let lrs = NaN;
  let lrsCycle = -1;
  return {
    acc,
    feed(data) {
      const { cycle, state, i_read_A: current } = data.channels;
      if (!cycle || !state || !current) return;
      // A read at the current limit is no conductance.
      for (let i = 0; i < current.length; i++) {
        const g = Math.abs(current[i]) < limit ? current[i] / v : NaN;
        if (state[i] === 1) {
          lrs = g;
          lrsCycle = cycle[i];
        } else if (cycle[i] === lrsCycle) acc.push(g, lrs);
      }
    },
  };
}

function accumulate(data: RunData, p: EnduranceParams): EnduranceAccumulator {
  const f = enduranceFeeder(p);
  f.feed(data);
  return f.acc;
}

function conditionsOf(p: EnduranceParams, cycles: number): Conditions {
  return {
    mode: 'pulse',
    set_amplitude_V: p.setAmplitudeV,
    set_width_s: p.setWidthS,
    reset_amplitude_V: p.resetAmplitudeV,
    reset_width_s: p.resetWidthS,
    read_voltage_V: p.readVoltageV,
    read_delay_s: p.readDelayS,
    compliance_A: p.complianceA,
    cycles_planned: cycles,
    temperature_K: null,
  };
}

export const enduranceProtocol: ProtocolDefinition<typeof ENDURANCE_PARAMS> = {
  id: 'endurance',
  version: '1.0.0',
  title: 'Endurance (pulse mode)',
  summary: 'SET/RESET pulse cycles with both states read after every cycle; memory window per cycle, cycles to failure, CV of HRS and LRS (metrics.md §4).',
  params: ENDURANCE_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the read since the first train started (instrument clock within a train)' },
    { name: 'i_read_A', unit: 'A', description: 'current at the read voltage' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the terminal during the read' },
    { name: 'cycle', unit: '1', description: 'cycle number, from 1' },
    { name: 'state', unit: '1', description: '1 = read after SET (LRS), 0 = read after RESET (HRS)' },
  ],

  safetyViolations(p, limits) {
    return safetyViolations(limits, {
      voltages: [
        ['setAmplitudeV', p.setAmplitudeV],
        ['resetAmplitudeV', p.resetAmplitudeV],
        ['readVoltageV', p.readVoltageV],
      ],
      widths: [
        ['setWidthS', p.setWidthS],
        ['resetWidthS', p.resetWidthS],
      ],
      complianceA: p.complianceA,
    });
  },

  roles: () => [],

  checkFeasible(p, bench: BenchInstruments) {
    feasible('endurance train', () => bench.smu.validateTrain(program(p, Math.min(p.cycles, p.cyclesPerTrain))));
  },

  async run(p, ctx) {
    const total = p.cycles;
    const perTrain = p.cyclesPerTrain;
    const aperture = readApertureS(p.nplc, ctx.bench);
    let done = ctx.resumeFrom?.cyclesDone ?? 0;
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    // Failure watch across trains, so the run can stop at the failure like the analysis finds it.
    let below = 0;
    while (done < total) {
      const n = Math.min(perTrain, total - done);
      const prog = program(p, n);
      // The first read lands after the SET pulse and the read delay: REL times count from there.
      const firstReadS = offsetS + p.setWidthS + p.readDelayS + aperture;
      const r = await playTrain(ctx, prog, {
        onReadings: (have) => ctx.progress(done + Math.floor(have / 2), total, `cycle ${done + Math.floor(have / 2)}/${total}`),
        onPartial: (partial) => ctx.data(chunk(partial, done + 1, firstReadS)),
      });
      ctx.data(chunk(r, done + 1, firstReadS));
      // A shorted device stops the run at once (the failure criterion below is for a closing window).
      stopAtCurrentLimit(r, p.complianceA, (k) => `cycle ${done + Math.floor(k / 2) + 1} (${k % 2 === 0 ? 'LRS' : 'HRS'} read)`, p.readVoltageV);
      let failedAt = 0; // the first cycle of the failing run of cycles, in this train
      for (let k = 0; k + 1 < r.currentA.length; k += 2) {
        const w = r.currentA[k] / r.currentA[k + 1];
        below = w >= p.windowCriterion ? 0 : below + 1;
        if (below >= CONSECUTIVE && !failedAt) failedAt = done + k / 2 + 1 - (CONSECUTIVE - 1);
      }
      const windows = Array.from({ length: Math.floor(r.currentA.length / 2) }, (_, k) => r.currentA[2 * k] / r.currentA[2 * k + 1]);
      if (windows.length) ctx.live([{ key: 'endurance.window', at: done + n, atLabel: 'cycle', value: windows[windows.length - 1], unit: '1' }]);
      done += n;
      offsetS += programDurationS(prog, aperture);
      ctx.progress(done, total, `cycle ${done}/${total}`);
      await ctx.checkpoint({ cyclesDone: done, offsetS });
      if (failedAt && p.stopAfterFailure === 'yes') {
        return `stopped at the failure criterion: W = G_LRS/G_HRS < ${p.windowCriterion} for ${CONSECUTIVE} consecutive cycles from cycle ${failedAt} (${done} cycles measured)`;
      }
    }
  },

  estimateDurationS(p, lineFrequencyHz) {
    const read = p.readDelayS + p.nplc / lineFrequencyHz;
    return p.cycles * (p.setWidthS + p.resetWidthS + 2 * read);
  },

  analyse(data, p) {
    const acc = accumulate(data, p);
    const conditions = conditionsOf(p, p.cycles);
    return { metrics: acc.metrics(conditions), conditions };
  },

  incremental(p) {
    const f = enduranceFeeder(p);
    return {
      push: (chunk) => f.feed(chunk),
      result: () => {
        const conditions = conditionsOf(p, p.cycles);
        return { metrics: f.acc.metrics(conditions), conditions };
      },
    };
  },
};
