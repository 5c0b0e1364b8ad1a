// Spike-timing-dependent plasticity protocol v1 (metrics.md §6). The pre-synaptic spike
// is applied to the top electrode and the post-synaptic spike to the bottom one, so the
// device sees their difference V(t) = s(t − t_post) − s(t − t_pre), Δt = t_post − t_pre.
// Each spike s is a short positive pulse followed by a decaying negative tail (the
// shape used in memristive STDP since Zamarreño-Ramos et al. 2011); alone it stays below
// the switching thresholds, so plasticity comes only from overlap. The source-meter
// plays the difference waveform, sampled on a time grid and quantised in amplitude, as
// one instrument-timed train with a read before and after: ΔW = (G_after − G_before)/G_before.
// With player=generator the pulse generator plays the difference instead, as an arbitrary
// waveform (no amplitude steps, a fine time grid), fired by the SMU's digital line between
// the SMU's two reads.
// Δt values alternate in sign (+d1, −d1, +d2, …) so slow drift does not bias one side.

import { analyseStdp } from '../analysis/stdp.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible, COMPLIANCE_PARAM, READ_NPLC_PARAM } from './params.ts';
import { loadSpikeFile, spikeAt } from './spike-file.ts';
import { basename } from 'node:path';
import { safetyViolations } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const STDP_PARAMS = {
  player: { kind: 'enum', unit: '', default: 'smu', choices: ['smu', 'generator'], help: 'who plays the spike difference: the source-meter (staircase on gridS/levelStepV) or the pulse generator (arbitrary waveform at arbSampleRateSa)' },
  arbSampleRateSa: { kind: 'number', unit: 'Sa/s', default: 100e3, min: 1, max: 250e6, help: 'player=generator: points per second of the arbitrary waveform' },
  preSpikeFile: { kind: 'path', unit: '', default: '', help: 'pre-synaptic spike from a two-column file (time s, voltage V; empty: the built-in pulse + tail)' },
  postSpikeFile: { kind: 'path', unit: '', default: '', help: 'post-synaptic spike from a two-column file (empty: the built-in pulse + tail)' },
  spikeAmplitudeV: { kind: 'number', unit: 'V', default: 0.7, min: 0.001, max: 100, help: 'height of the positive part of each spike' },
  spikeWidthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-6, max: 1, help: 'width of the positive part' },
  tailAmplitudeV: { kind: 'number', unit: 'V', default: 0.7, min: 0, max: 100, help: 'depth of the negative tail at its start' },
  tailTauS: { kind: 'number', unit: 's', default: 4e-3, min: 1e-6, max: 10, help: 'decay time of the tail' },
  tailLengthS: { kind: 'number', unit: 's', default: 12e-3, min: 0, max: 100, help: 'the tail is cut to 0 V after this' },
  gridS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-6, max: 1, help: 'time step of the played waveform (at least the SMU’s shortest segment)' },
  levelStepV: { kind: 'number', unit: 'V', default: 0.1, min: 1e-3, max: 10, help: 'amplitude resolution of the played waveform' },
  dtMaxS: { kind: 'number', unit: 's', default: 8e-3, min: 1e-6, max: 10, help: 'largest |Δt|' },
  dtPerSide: { kind: 'integer', unit: 'Δt', default: 8, min: 2, max: 100, help: 'Δt values on each side, evenly spaced up to dtMaxS (rounded to the grid)' },
  pairsPerDt: { kind: 'integer', unit: 'pairs', default: 1, min: 1, max: 100, help: 'pairs played at each Δt' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage before and after each pair' },
  readDelayS: { kind: 'number', unit: 's', default: 1e-3, min: 0, max: 10, help: 'time at the read voltage before each read' },
  presetPulses: { kind: 'integer', unit: 'pulses', default: 50, min: 0, max: 100_000, help: 'programming pulses before the first pair, to bring the device into its range (0 = none)' },
  presetAmplitudeV: { kind: 'number', unit: 'V', default: 1.5, min: -200, max: 200, nonZero: true, help: 'amplitude of the preset pulses' },
  presetWidthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-9, max: 10, help: 'width of the preset pulses (period 2×)' },
  referenceTolerance: { kind: 'number', unit: '1', default: 0, min: 0, max: 0.5, help: 'before each pair, program back to the reference G (the read after the preset) within this relative tolerance; 0 = off' },
  maxVerifyPulses: { kind: 'integer', unit: 'pulses', default: 100, min: 1, max: 10_000, help: 'most program-and-verify pulses before a pair (presetAmplitudeV up, −presetAmplitudeV down)' },
  complianceA: COMPLIANCE_PARAM,
  nplc: READ_NPLC_PARAM,
} as const;

export type StdpParams = ParamValues<typeof STDP_PARAMS>;

/** One spike's voltage τ seconds after it starts. */
export function spike(p: StdpParams, tau: number): number {
  if (tau < 0) return 0;
  if (tau < p.spikeWidthS) return p.spikeAmplitudeV;
  const t = tau - p.spikeWidthS;
  return t < p.tailLengthS ? -p.tailAmplitudeV * Math.exp(-t / p.tailTauS) : 0;
}

/** A spike as a function of the time since it started, and how long it lasts. */
interface Shape {
  at(tau: number): number;
  lengthS: number;
}

/** The pre- or post-synaptic spike: from its file, else the built-in pulse + tail. */
export function spikeShape(p: StdpParams, which: 'pre' | 'post'): Shape {
  const file = which === 'pre' ? p.preSpikeFile : p.postSpikeFile;
  if (file) {
    const s = loadSpikeFile(file, `${which}SpikeFile`);
    return { at: (tau) => spikeAt(s, tau), lengthS: s.tS[s.tS.length - 1] };
  }
  return { at: (tau) => spike(p, tau), lengthS: p.spikeWidthS + p.tailLengthS };
}

/** Δt list: +d1, −d1, +d2, −d2, … (s), multiples of the grid. */
export function dtList(p: StdpParams): number[] {
  const out: number[] = [];
  for (let k = 1; k <= p.dtPerSide; k++) {
    const d = Math.max(1, Math.round((p.dtMaxS * k) / p.dtPerSide / p.gridS)) * p.gridS;
    if (!out.some((x) => Math.abs(x - d) < 1e-12)) out.push(d, -d);
  }
  return out;
}

/** The difference waveform for one Δt as merged segments on the grid. */
export function pairSegments(p: StdpParams, dtS: number): Segment[] {
  const [pre, post] = [spikeShape(p, 'pre'), spikeShape(p, 'post')];
  const tPre = dtS >= 0 ? 0 : -dtS;
  const tPost = tPre + dtS;
  const end = Math.max(tPre + pre.lengthS, tPost + post.lengthS);
  const n = Math.ceil(end / p.gridS - 1e-9);
  const segs: Segment[] = [];
  for (let k = 0; k < n; k++) {
    const t = (k + 0.5) * p.gridS;
    const v = Math.round((post.at(t - tPost) - pre.at(t - tPre)) / p.levelStepV) * p.levelStepV;
    const level = Math.abs(v) < 1e-12 ? 0 : Number(v.toFixed(9));
    const last = segs[segs.length - 1];
    if (last && last.levelV === level) last.durationS += p.gridS;
    else segs.push({ levelV: level, durationS: p.gridS });
  }
  return segs;
}

/** A train of identical pulses that brings a device from its rest state into mid-range, so both potentiation and depression have room. */
function presetProgram(p: StdpParams): TrainProgram {
  return {
    prologue: [],
    unit: [
      { levelV: p.presetAmplitudeV, durationS: p.presetWidthS },
      { levelV: 0, durationS: p.presetWidthS },
    ],
    repeat: p.presetPulses,
    epilogue: [{ levelV: p.readVoltageV, durationS: p.readDelayS || 1e-3, measure: true }],
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

/** The difference waveform for one Δt sampled for the generator (0 V at both ends), V. */
export function pairSamples(p: StdpParams, dtS: number): number[] {
  const [pre, post] = [spikeShape(p, 'pre'), spikeShape(p, 'post')];
  const tPre = dtS >= 0 ? 0 : -dtS;
  const tPost = tPre + dtS;
  const end = Math.max(tPre + pre.lengthS, tPost + post.lengthS);
  const dt = 1 / p.arbSampleRateSa;
  const n = Math.ceil(end / dt - 1e-9);
  return [0, ...Array.from({ length: n }, (_, k) => post.at((k + 0.5) * dt - tPost) - pre.at((k + 0.5) * dt - tPre)), 0];
}

/** One program-and-verify step: a preset-width pulse up or down, then a read. */
function verifyProgram(p: StdpParams, up: boolean): TrainProgram {
  return {
    prologue: [],
    unit: [
      { levelV: up ? p.presetAmplitudeV : -p.presetAmplitudeV, durationS: p.presetWidthS },
      { levelV: 0, durationS: p.presetWidthS },
    ],
    repeat: 1,
    epilogue: [{ levelV: p.readVoltageV, durationS: p.readDelayS || 1e-3, measure: true }],
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

function pairProgram(p: StdpParams, dtS: number): TrainProgram {
  const read: Segment = { levelV: p.readVoltageV, durationS: p.readDelayS, measure: true };
  if (p.player === 'generator') {
    // The SMU reads, holds 0 V while its digital line fires the generator's waveform, then reads again.
    const playS = pairSamples(p, dtS).length / p.arbSampleRateSa;
    return { prologue: [read, { levelV: 0, durationS: playS + 1e-3, triggerOut: true }, read], unit: [], repeat: 1, limitA: p.complianceA, nplc: p.nplc };
  }
  return { prologue: [read, ...pairSegments(p, dtS), read], unit: [], repeat: 1, limitA: p.complianceA, nplc: p.nplc };
}

/** Largest |V| the device sees across all pairs (for the safety check). */
function peakVoltage(p: StdpParams): number {
  const played = dtList(p).flatMap((dt) => (p.player === 'generator' ? pairSamples(p, dt) : pairSegments(p, dt).map((s) => s.levelV)));
  return Math.max(...played.map(Math.abs));
}

/** The spikes as played, sampled (stored with the run so a file that changes later does not change the record). */
function spikeRecord(p: StdpParams): { which: number[]; t: number[]; v: number[] } {
  const out = { which: [] as number[], t: [] as number[], v: [] as number[] };
  (['pre', 'post'] as const).forEach((w, i) => {
    const s = spikeShape(p, w);
    for (let k = 0; k <= 200; k++) {
      const t = (k / 200) * s.lengthS;
      out.which.push(i);
      out.t.push(t);
      out.v.push(s.at(t));
    }
  });
  return out;
}

function check(p: StdpParams, bench: BenchInstruments): void {
  if (p.referenceTolerance > 0 && p.presetPulses === 0) throw new ParamError('referenceTolerance needs presetPulses > 0: the reference is the G read after the preset');
  if (p.referenceTolerance > 0) {
    feasible('program-and-verify step', () => bench.smu.validateTrain(verifyProgram(p, true)));
  }
  if (p.presetPulses > 0) {
    feasible('preset train', () => bench.smu.validateTrain(presetProgram(p)));
  }
  if (p.player === 'generator') {
    const g = bench.generator;
    const validateArbitrary = g?.validateArbitrary?.bind(g);
    if (!validateArbitrary) throw new ParamError(`player = generator needs a pulse generator that plays arbitrary waveforms${g ? ` (${g.model} does not)` : ''}`);
    if (1 / p.arbSampleRateSa > p.spikeWidthS / 4) throw new ParamError(`arbSampleRateSa = ${p.arbSampleRateSa} Sa/s gives fewer than 4 points per spike (spikeWidthS = ${p.spikeWidthS} s)`);
    for (const dt of dtList(p)) {
      feasible(`pair at Δt = ${(dt * 1e3).toFixed(3)} ms`, () => {
        validateArbitrary({ channel: bench.generatorChannel ?? 1, samplesV: pairSamples(p, dt), sampleRateSa: p.arbSampleRateSa, trigger: 'external' });
        bench.smu.validateTrain(pairProgram(p, dt));
      });
    }
    return;
  }
  if (p.gridS > p.spikeWidthS + 1e-12) throw new ParamError(`gridS = ${p.gridS} s is coarser than the spike (spikeWidthS = ${p.spikeWidthS} s)`);
  if (p.dtMaxS < p.gridS) throw new ParamError(`dtMaxS = ${p.dtMaxS} s is shorter than one grid step (${p.gridS} s)`);
  for (const dt of dtList(p)) {
    feasible(`pair at Δt = ${(dt * 1e3).toFixed(3)} ms`, () => bench.smu.validateTrain(pairProgram(p, dt)), '(coarser gridS or levelStepV, or a shorter tail, make the waveform fit)');
  }
}

export const stdpProtocol: ProtocolDefinition<typeof STDP_PARAMS> = {
  id: 'stdp',
  version: '1.0.0',
  title: 'Spike-timing-dependent plasticity',
  summary: 'Pre and post spikes (pulse + decaying tail) at ±Δt played as their difference across the device; ΔW per pair; A±, τ± (metrics.md §6).',
  params: STDP_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the read since the run started' },
    { name: 'i_read_A', unit: 'A', description: 'current at the read voltage' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the read' },
    { name: 'pair', unit: '1', description: 'pair number, from 1 (0 = the read after the preset train)' },
    { name: 'dt_s', unit: 's', description: 'Δt = t_post − t_pre of this pair' },
    { name: 'role', unit: '1', description: '0 = read before the pair, 1 = read after, 2 = program-and-verify read before the pair' },
    { name: 'spike_which', unit: '1', description: 'stored spike shape: 0 = pre-synaptic, 1 = post-synaptic' },
    { name: 'spike_t_s', unit: 's', description: 'time since the spike started' },
    { name: 'spike_V', unit: 'V', description: 'spike voltage (201 samples of each shape as played)' },
  ],

  safetyViolations(p, limits) {
    return safetyViolations(limits, {
      voltages: [
        ['largest |V| of the spike difference', peakVoltage(p)],
        ['readVoltageV', p.readVoltageV],
        ...(p.presetPulses > 0 ? ([['presetAmplitudeV', p.presetAmplitudeV]] as [string, number][]) : []),
      ],
      widths: [['gridS', p.gridS], ...(p.presetPulses > 0 ? ([['presetWidthS', p.presetWidthS]] as [string, number][]) : [])],
      complianceA: p.complianceA,
    });
  },

  roles: (p) => (p.player === 'generator' ? ['pulse-generator'] : []),

  checkFeasible(p, bench) {
    check(p, bench);
  },

  estimateDurationS(p, lineFrequencyHz) {
    const ap = p.nplc / lineFrequencyHz;
    return p.pairsPerDt * dtList(p).reduce((s, dt) => s + programDurationS(pairProgram(p, dt), ap), 0);
  },

  async run(p, ctx) {
    const dts = dtList(p).flatMap((dt) => Array.from({ length: p.pairsPerDt }, () => dt));
    const ap = readApertureS(p.nplc, ctx.bench);
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    let gRef = ctx.resumeFrom?.gRef ?? NaN;
    let gNow = ctx.resumeFrom?.gNow ?? NaN;
    if (!ctx.resumeFrom) {
      const rec = spikeRecord(p);
      ctx.data({ channels: { spike_which: rec.which, spike_t_s: rec.t, spike_V: rec.v } });
    }
    if (!ctx.resumeFrom && p.presetPulses > 0) {
      const preset = presetProgram(p);
      const r = await playTrain(ctx, preset);
      const readS = offsetS + programDurationS(preset, ap);
      // Stored as pair 0 (the state the pairs start from); the analysis leaves it out.
      ctx.data({ channels: { t_s: [readS], i_read_A: r.currentA, v_read_V: r.voltageV, pair: [0], dt_s: [NaN], role: [1] } });
      offsetS = readS;
      gRef = r.currentA[0] / r.voltageV[0];
      gNow = gRef;
      await ctx.checkpoint({ nextPair: 1, offsetS, gRef, gNow });
    }
    for (let k = ctx.resumeFrom?.nextPair ?? 1; k <= dts.length; k++) {
      const dt = dts[k - 1];
      if (p.referenceTolerance > 0 && Number.isFinite(gRef)) {
        // Program and verify back to the reference, so every pair starts from the same G.
        for (let n = 0; n < p.maxVerifyPulses && Math.abs(gNow - gRef) > p.referenceTolerance * gRef; n++) {
          const vp = verifyProgram(p, gNow < gRef);
          const r = await playTrain(ctx, vp);
          offsetS += programDurationS(vp, ap);
          gNow = r.currentA[0] / r.voltageV[0];
          ctx.data({ channels: { t_s: [offsetS], i_read_A: r.currentA, v_read_V: r.voltageV, pair: [k], dt_s: [dt], role: [2] } });
          stopAtCurrentLimit(r, p.complianceA, () => `program-and-verify before pair ${k}`, p.readVoltageV);
        }
      }
      const prog = pairProgram(p, dt);
      if (p.player === 'generator') {
        const g = ctx.bench.generator;
        if (!g?.armArbitrary) throw new ParamError('player = generator needs a pulse generator that plays arbitrary waveforms');
        await g.armArbitrary({ channel: ctx.bench.generatorChannel ?? 1, samplesV: pairSamples(p, dt), sampleRateSa: p.arbSampleRateSa, trigger: 'external' });
      }
      const r = await playTrain(ctx, prog);
      const first = offsetS + p.readDelayS + ap;
      ctx.data({
        channels: {
          t_s: r.timeS.map((t) => first + t),
          i_read_A: r.currentA,
          v_read_V: r.voltageV,
          pair: r.currentA.map(() => k),
          dt_s: r.currentA.map(() => dt),
          role: r.currentA.map((_, i) => i),
        },
        events: [{ tS: first + ap, kind: 'spike-pair', data: { pair: k, dt_s: dt } }],
      });
      stopAtCurrentLimit(r, p.complianceA, (i) => `pair ${k} (Δt = ${(dt * 1e3).toFixed(2)} ms), read ${i}`, p.readVoltageV);
      ctx.live([{ key: 'stdp.dw', at: dt, atLabel: 'Δt (s)', value: (100 * (r.currentA[1] - r.currentA[0])) / r.currentA[0], unit: '%' }]);
      offsetS += programDurationS(prog, ap);
      gNow = r.currentA[1] / r.voltageV[1];
      ctx.progress(k, dts.length, `pair ${k}/${dts.length} (Δt = ${(dt * 1e3).toFixed(2)} ms)`);
      await ctx.checkpoint({ nextPair: k + 1, offsetS, gRef, gNow });
    }
  },

  analyse(data, p) {
    const { pair, dt_s: dt, role, i_read_A: current } = data.channels;
    const byPair = new Map<number, { dt: number; reads: [number, number] }>();
    if (pair && dt && role && current) {
      for (let i = 0; i < current.length; i++) {
        if (pair[i] < 1 || role[i] > 1) continue;
        let e = byPair.get(pair[i]);
        if (!e) byPair.set(pair[i], (e = { dt: dt[i], reads: [NaN, NaN] }));
        e.reads[role[i]] = current[i];
      }
    }
    const rows = [...byPair.values()];
    const conditions = {
      spike_amplitude_V: p.spikeAmplitudeV,
      spike_width_s: p.spikeWidthS,
      tail_amplitude_V: p.tailAmplitudeV,
      tail_tau_s: p.tailTauS,
      tail_length_s: p.tailLengthS,
      pre_spike: p.preSpikeFile ? `file ${basename(p.preSpikeFile)}` : 'built-in pulse + tail',
      post_spike: p.postSpikeFile ? `file ${basename(p.postSpikeFile)}` : 'built-in pulse + tail',
      waveform: p.player === 'generator' ? `pre − post difference as an arbitrary waveform at ${p.arbSampleRateSa} Sa/s, played by the pulse generator` : `pre − post difference on a ${p.gridS} s grid, ${p.levelStepV} V steps, played by the source-meter`,
      read_voltage_V: p.readVoltageV,
      reference: p.referenceTolerance > 0 ? `programmed back to the G after the preset within ±${100 * p.referenceTolerance} % before each pair` : 'none',
      preset: p.presetPulses > 0 ? `${p.presetPulses} pulses of ${p.presetAmplitudeV} V, ${p.presetWidthS} s before the first pair` : 'none',
      pairs: rows.length,
      temperature_K: null,
    };
    const metrics = analyseStdp({ dtS: rows.map((r) => r.dt), dwPercent: rows.map((r) => (100 * (r.reads[1] - r.reads[0])) / r.reads[0]), conditions });
    return { metrics, conditions };
  },
};
