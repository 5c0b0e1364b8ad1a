// LTP/LTD protocol v1.1: first `readRepeats` reads at the starting state with no pulse
// between them (read noise, stored as phase 2), then per cycle a potentiation train and
// a depression train of identical pulses, each pulse followed by a read at a low
// voltage after a fixed delay; one read before the first pulse of each train (G_0).
// Each train is one hardware-timed program on the source-meter; with
// pulseSource=generator the SMU's digital line triggers one generator pulse per step
// instead of sourcing it.

import { analyseLtpLtd, endWindow, type LtpLtdCycle } from '../analysis/ltp-ltd.ts';
import { fitLsq3, mirrorLtd } from '../analysis/nonlinearity.ts';
import { median } from '../analysis/stats.ts';
import type { Conditions } from '../analysis/metric.ts';
import type { Segment, TrainProgram, TrainReadings } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { atCurrentLimit, playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible } from './params.ts';
import { safetyViolations } from './safety.ts';
import { ChannelBuffer } from './channel-buffer.ts';
import type { BenchInstruments, DataChunk, EventRecord, LivePoint, ProtocolDefinition, RunData } from './protocol.ts';

export const LTP_LTD_PARAMS = {
  potentiationAmplitudeV: { kind: 'number', unit: 'V', default: 1.5, min: -200, max: 200, nonZero: true, help: 'amplitude of each potentiating pulse' },
  potentiationWidthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-9, max: 10, help: 'width of each potentiating pulse' },
  depressionAmplitudeV: { kind: 'number', unit: 'V', default: -1.5, min: -200, max: 200, nonZero: true, help: 'amplitude of each depressing pulse' },
  depressionWidthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-9, max: 10, help: 'width of each depressing pulse' },
  pulseIntervalS: { kind: 'number', unit: 's', default: 20e-3, min: 1e-6, max: 100, help: 'pulse period: start of one pulse to start of the next' },
  pulsesPerTrain: { kind: 'integer', unit: 'pulses', default: 100, min: 4, max: 100_000, help: 'pulses in each LTP and each LTD train (n)' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage (G = I_read / V_read)' },
  readDelayS: { kind: 'number', unit: 's', default: 1e-3, min: 0, max: 10, help: 'time at the read voltage after a pulse before the reading starts' },
  cycles: { kind: 'integer', unit: 'cycles', default: 5, min: 1, max: 100_000, help: 'LTP+LTD cycles' },
  complianceA: { kind: 'number', unit: 'A', default: 1e-3, min: 1e-9, max: 1, help: 'current limit of the source-meter' },
  nplc: { kind: 'number', unit: 'PLC', default: 0.1, min: 0.01, max: 10, help: 'integration time of each read, in power-line cycles' },
  pulseSource: { kind: 'enum', unit: '', default: 'smu', choices: ['smu', 'generator'], help: 'instrument that applies the pulses' },
  readRepeats: { kind: 'integer', unit: 'reads', default: 10, min: 0, max: 1000, help: 'reads repeated at the starting state before the first train, no pulse between them (read noise; 0 = none)' },
} as const;

/** Phase code of the repeated reads that measure read noise. */
export const READ_NOISE_PHASE = 2;

export type LtpLtdParams = ParamValues<typeof LTP_LTD_PARAMS>;

const PHASES = [
  { name: 'LTP', index: 0, amp: 'potentiationAmplitudeV', width: 'potentiationWidthS' },
  { name: 'LTD', index: 1, amp: 'depressionAmplitudeV', width: 'depressionWidthS' },
] as const;

function apertureS(p: LtpLtdParams, bench: BenchInstruments): number {
  return readApertureS(p.nplc, bench);
}

/** Time left in each pulse period after the pulse, the read delay and the read. */
function restS(p: LtpLtdParams, widthS: number, bench: BenchInstruments): number {
  return p.pulseIntervalS - widthS - p.readDelayS - apertureS(p, bench);
}

function trainProgram(p: LtpLtdParams, phase: (typeof PHASES)[number], bench: BenchInstruments): TrainProgram {
  const widthS = p[phase.width];
  const read: Segment = { levelV: p.readVoltageV, durationS: p.readDelayS, measure: true };
  const rest = restS(p, widthS, bench);
  const restSegment: Segment[] = rest > 1e-12 ? [{ levelV: 0, durationS: rest }] : [];
  // With the generator, the SMU holds the read level, fires the generator's pulse at the
  // segment start and reads after width + read delay: the pulse may then be far shorter
  // than the SMU's shortest segment.
  const unit: Segment[] =
    p.pulseSource === 'generator'
      ? [{ levelV: p.readVoltageV, durationS: widthS + p.readDelayS, measure: true, triggerOut: true }, ...restSegment]
      : [{ levelV: p[phase.amp], durationS: widthS }, read, ...restSegment];
  return { prologue: [read], unit, repeat: p.pulsesPerTrain, limitA: p.complianceA, nplc: p.nplc };
}

/** NL and DR of one finished ramp (the card's numbers come from every ramp at the end). */
function liveOfRamp(r: TrainReadings, cycle: number, phase: 'ltp' | 'ltd'): LivePoint[] {
  const g = r.currentA.map((i, k) => i / r.voltageV[k]);
  const out: LivePoint[] = [];
  const fit = fitLsq3(phase === 'ltp' ? g : mirrorLtd(g));
  if (fit.ok && fit.fit.deltaG > 0) out.push({ key: `nl.lsq3:${phase}`, at: cycle, atLabel: 'cycle', value: fit.fit.nlLabel, unit: '1' });
  const w = endWindow(g.length - 1);
  const [first, last] = [median(g.slice(0, w)), median(g.slice(g.length - w))];
  out.push({ key: `dr.ratio:${phase}`, at: cycle, atLabel: 'cycle', value: phase === 'ltp' ? last / first : first / last, unit: '1' });
  return out;
}

function conditionsOf(p: LtpLtdParams, completeCycles: number): Conditions {
  return {
    read_voltage_V: p.readVoltageV,
    read_delay_s: p.readDelayS,
    potentiation_amplitude_V: p.potentiationAmplitudeV,
    potentiation_width_s: p.potentiationWidthS,
    depression_amplitude_V: p.depressionAmplitudeV,
    depression_width_s: p.depressionWidthS,
    pulse_interval_s: p.pulseIntervalS,
    pulses_per_train: p.pulsesPerTrain,
    cycles: completeCycles,
    compliance_A: p.complianceA,
    nplc: p.nplc,
    pulse_source: p.pulseSource,
    temperature_K: null,
  };
}

/** The repeated reads taken for read noise, in S (one block). */
export function repeatedReadsFromRunData(data: RunData, p: LtpLtdParams): number[][] {
  const { phase, i_read_A: current } = data.channels;
  if (!phase || !current) return [];
  const v = p.readVoltageV;
  const block: number[] = [];
  for (let i = 0; i < current.length; i++) if (phase[i] === READ_NOISE_PHASE) block.push(atCurrentLimit(current[i], p.complianceA) ? NaN : current[i] / v);
  return block.length ? [block] : [];
}

/** Groups stored reads into complete cycles (an aborted run's partial cycle, or one with reads at the current limit, is left out). */
export function cyclesFromRunData(data: RunData, p: LtpLtdParams): LtpLtdCycle[] {
  const { cycle, phase, pulse, i_read_A: current } = data.channels;
  if (!cycle || !phase || !pulse || !current) return [];
  const n = p.pulsesPerTrain;
  const v = p.readVoltageV;
  const byCycle = new Map<number, { ltp: number[]; ltd: number[] }>();
  for (let i = 0; i < current.length; i++) {
    if (phase[i] === READ_NOISE_PHASE) continue;
    const c = cycle[i];
    let entry = byCycle.get(c);
    if (!entry) byCycle.set(c, (entry = { ltp: new Array(n + 1).fill(NaN), ltd: new Array(n + 1).fill(NaN) }));
    const k = pulse[i];
    // Reads at the current limit are not conductances; they leave their cycle incomplete.
    const limited = atCurrentLimit(current[i], p.complianceA);
    if (k >= 0 && k <= n) (phase[i] === 0 ? entry.ltp : entry.ltd)[k] = limited ? NaN : current[i] / v;
  }
  return [...byCycle.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([c, e]) => ({ ...e, cycle: c }))
    .filter((e) => e.ltp.every(Number.isFinite) && e.ltd.every(Number.isFinite));
}

function trainChunk(r: TrainReadings, cycle: number, phase: number, firstReadS: number, events: EventRecord[]): DataChunk {
  return {
    channels: {
      t_s: r.timeS.map((t) => firstReadS + t),
      i_read_A: r.currentA,
      v_read_V: r.voltageV,
      cycle: r.currentA.map(() => cycle),
      phase: r.currentA.map(() => phase),
      pulse: r.currentA.map((_, k) => k),
    },
    events,
  };
}

export const ltpLtdProtocol: ProtocolDefinition<typeof LTP_LTD_PARAMS> = {
  id: 'ltp-ltd',
  version: '1.1.0',
  title: 'LTP/LTD pulse trains',
  summary: 'Potentiation and depression trains of identical pulses with a read after each pulse; nonlinearity, dynamic range, states and cycle-to-cycle variation (metrics.md §1–3).',
  params: LTP_LTD_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the read since the first train started (instrument clock within a train)' },
    { name: 'i_read_A', unit: 'A', description: 'current measured at the read voltage' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the terminal during the read (source readback)' },
    { name: 'cycle', unit: '1', description: 'cycle number, from 1' },
    { name: 'phase', unit: '1', description: '0 = LTP train, 1 = LTD train, 2 = repeated reads for read noise (before the first train)' },
    { name: 'pulse', unit: '1', description: 'pulses applied in this train before the read (0 = G_0); for phase 2 the read’s number' },
  ],

  safetyViolations(p, limits) {
    const out = safetyViolations(limits, {
      voltages: [
        ['potentiationAmplitudeV', p.potentiationAmplitudeV],
        ['depressionAmplitudeV', p.depressionAmplitudeV],
        ['readVoltageV', p.readVoltageV],
      ],
      widths: [
        ['potentiationWidthS', p.potentiationWidthS],
        ['depressionWidthS', p.depressionWidthS],
      ],
      complianceA: p.complianceA,
    });
    if (p.potentiationAmplitudeV <= 0) out.push(`potentiationAmplitudeV = ${p.potentiationAmplitudeV} V: potentiation pulses must be positive`);
    if (p.depressionAmplitudeV >= 0) out.push(`depressionAmplitudeV = ${p.depressionAmplitudeV} V: depression pulses must be negative`);
    return out;
  },

  roles: (p) => (p.pulseSource === 'generator' ? ['pulse-generator'] : []),

  checkFeasible(p, bench) {
    if (p.readRepeats > 0) {
      feasible('read-noise reads (readRepeats)', () => bench.smu.validateTrain({ prologue: [], unit: [{ levelV: p.readVoltageV, durationS: p.readDelayS, measure: true }], repeat: p.readRepeats, limitA: p.complianceA, nplc: p.nplc }));
    }
    for (const phase of PHASES) {
      const widthS = p[phase.width];
      const rest = restS(p, widthS, bench);
      if (rest < -1e-12) {
        throw new ParamError(
          `pulseIntervalS = ${p.pulseIntervalS} s is shorter than ${phase.width} + readDelayS + read integration (${widthS} + ${p.readDelayS} + ${apertureS(p, bench).toPrecision(3)} s); lengthen it or lower nplc`,
        );
      }
      const program = trainProgram(p, phase, bench);
      feasible(`${phase.name} train`, () => bench.smu.validateTrain(program));
      if (p.pulseSource === 'generator') {
        const generator = bench.generator;
        if (!generator) throw new ParamError('pulseSource = generator, but the station wires no pulse generator');
        feasible(`${phase.name} pulses`, () => generator.validatePulses({ channel: bench.generatorChannel ?? 1, amplitudeV: p[phase.amp], widthS, periodS: p.pulseIntervalS, count: 1, trigger: 'external' }));
      }
    }
  },

  async run(p, ctx) {
    const { generator } = ctx.bench;
    const n = p.pulsesPerTrain;
    const cycles = p.cycles;
    const aperture = apertureS(p, ctx.bench);
    const readDelay = p.readDelayS;
    const interval = p.pulseIntervalS;
    // Resuming restarts the first cycle that had not completed; its partial data stays
    // stored and is superseded by the new reads of that cycle.
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    const firstCycle = ctx.resumeFrom?.nextCycle ?? 1;
    const repeats = p.readRepeats;
    if (repeats > 0 && firstCycle === 1) {
      // Read noise: the same read, again and again, at the starting state, in one timed train.
      const read: Segment = { levelV: p.readVoltageV, durationS: readDelay, measure: true };
      const prog: TrainProgram = { prologue: [], unit: [read], repeat: repeats, limitA: p.complianceA, nplc: p.nplc };
      const r = await playTrain(ctx, prog, { onPartial: (partial) => ctx.data(trainChunk(partial, 0, READ_NOISE_PHASE, offsetS + readDelay + aperture, [])) });
      ctx.data(trainChunk(r, 0, READ_NOISE_PHASE, offsetS + readDelay + aperture, []));
      stopAtCurrentLimit(r, p.complianceA, (k) => `read-noise read ${k}`, p.readVoltageV);
      offsetS += programDurationS(prog, aperture);
    }
    for (let c = firstCycle; c <= cycles; c++) {
      for (const phase of PHASES) {
        const program = trainProgram(p, phase, ctx.bench);
        if (p.pulseSource === 'generator' && generator) {
          await generator.armPulses({
            channel: ctx.bench.generatorChannel ?? 1,
            amplitudeV: p[phase.amp],
            widthS: p[phase.width],
            periodS: interval,
            count: 1,
            trigger: 'external',
          });
        }
        const r = await playTrain(ctx, program, { onPartial: (partial) => ctx.data(trainChunk(partial, c, phase.index, offsetS + readDelay + aperture, [])) });
        // A read at the current limit is not a conductance: the device conducts far more than a synapse should.
        if (r.currentA.some((i) => atCurrentLimit(i, p.complianceA))) {
          ctx.data(trainChunk(r, c, phase.index, offsetS + readDelay + aperture, []));
          stopAtCurrentLimit(r, p.complianceA, (k) => `cycle ${c} ${phase.name}: read ${k}`, p.readVoltageV);
        }
        // Reads are stamped by the instrument relative to the first read, which ends the prologue.
        const firstReadS = offsetS + readDelay + aperture;
        const events: EventRecord[] = [];
        for (let k = 1; k <= n; k++) {
          events.push({
            tS: firstReadS + (k - 1) * interval,
            kind: 'pulse',
            data: { cycle: c, phase: phase.name, k, amplitude_V: p[phase.amp], width_s: p[phase.width] },
          });
        }
        ctx.data(trainChunk(r, c, phase.index, firstReadS, events));
        ctx.live(() => liveOfRamp(r, c, phase.index === 0 ? 'ltp' : 'ltd'));
        offsetS += programDurationS(program, aperture);
        ctx.progress((c - 1) * 2 + phase.index + 1, cycles * 2, `cycle ${c}/${cycles} ${phase.name}`);
      }
      await ctx.checkpoint({ nextCycle: c + 1, offsetS });
    }
  },

  estimateDurationS(p, lineFrequencyHz) {
    const aperture = p.nplc / lineFrequencyHz;
    const read = p.readDelayS + aperture;
    return p.readRepeats * read + p.cycles * 2 * (read + p.pulsesPerTrain * p.pulseIntervalS);
  },

  incremental(p) {
    const kept = new ChannelBuffer(['cycle', 'phase', 'pulse', 'i_read_A']);
    return { push: (chunk) => kept.push(chunk), result: () => ltpLtdProtocol.analyse(kept.data(), p) };
  },

  analyse(data, p) {
    const cycles = cyclesFromRunData(data, p);
    const repeated = repeatedReadsFromRunData(data, p);
    const conditions = { ...conditionsOf(p, cycles.length), read_repeats: p.readRepeats ?? 0 };
    return { metrics: analyseLtpLtd({ cycles, unit: 'S', conditions, ...(repeated.length ? { repeatedReads: repeated } : {}) }), conditions };
  },
};
