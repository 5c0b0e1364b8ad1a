// Energy-per-spike protocol v1 (metrics.md §5), two methods.
// `scope`: the pulse generator applies each programming pulse, fired by the SMU's digital
// line, which also triggers the oscilloscope; every k-th pulse opens a new train whose
// first pulse the scope captures (device voltage and current, WORD data), so
// energy.write = ∫V·(I − I_base) dt per captured pulse, stored with its waveform; the SMU
// reads G after every pulse, and energy.estimate = V_pulse²·G_after·t_pulse is kept beside
// it as a cross-check.
// `smu-plateau`: no waveform. The source-meter itself applies each pulse and measures the
// current on its plateau (over the pulse's last read aperture): energy.estimate =
// V·I_plateau·t per pulse (an upper bound for a potentiating pulse) and its spread.
// Both give energy.read = V_read·I_read·t_aperture.

import { writeEnergy } from '../analysis/energy.ts';
import type { Conditions, Metric } from '../analysis/metric.ts';
import { missing, present } from '../analysis/metric.ts';
import type { ScopeSetup } from '../drivers/instruments/roles.ts';
import { mean, median, sampleStd } from '../analysis/stats.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible } from './params.ts';
import { pulseAndReadSafety } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const ENERGY_PARAMS = {
  method: { kind: 'enum', unit: '', default: 'scope', choices: ['scope', 'smu-plateau'], help: 'scope: generator pulses, waveforms captured (energy.write); smu-plateau: the SMU pulses and measures the plateau (energy.estimate)' },
  amplitudeV: { kind: 'number', unit: 'V', default: 1.5, min: -200, max: 200, nonZero: true, help: 'programming pulse amplitude' },
  widthS: { kind: 'number', unit: 's', default: 2e-3, min: 1e-9, max: 10, help: 'programming pulse width (the plateau is measured in its last read aperture)' },
  pulses: { kind: 'integer', unit: 'pulses', default: 20, min: 1, max: 10_000, help: 'pulses in the train' },
  intervalS: { kind: 'number', unit: 's', default: 10e-3, min: 1e-6, max: 100, help: 'pulse period' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage after each pulse' },
  readDelayS: { kind: 'number', unit: 's', default: 1e-3, min: 0, max: 10, help: 'time at the read voltage before the read' },
  complianceA: { kind: 'number', unit: 'A', default: 1e-3, min: 1e-9, max: 1, help: 'current limit of the source-meter' },
  nplc: { kind: 'number', unit: 'PLC', default: 0.01, min: 0.01, max: 10, help: 'integration time of each measurement' },
  captureEvery: { kind: 'integer', unit: 'pulses', default: 1, min: 1, max: 10_000, help: 'scope: capture every k-th pulse' },
  scopePoints: { kind: 'integer', unit: 'points', default: 2000, min: 100, max: 62_500, help: 'scope: points per captured waveform' },
  currentRangeA: { kind: 'number', unit: 'A', default: 200e-6, min: 1e-9, max: 1, help: 'scope: largest device current expected during a pulse (sets the current channel scale)' },
} as const;

export type EnergyParams = ParamValues<typeof ENERGY_PARAMS>;

/** Scope method: `count` generator pulses fired from the SMU, each followed by a read; the first is the one the scope captures. */
function scopeTrain(p: EnergyParams, count: number, bench: BenchInstruments): TrainProgram {
  const ap = readApertureS(p.nplc, bench);
  const rest = p.intervalS - p.widthS - p.readDelayS - ap;
  return {
    prologue: [{ levelV: p.readVoltageV, durationS: p.readDelayS || 1e-3, measure: true }],
    unit: [{ levelV: p.readVoltageV, durationS: p.widthS + p.readDelayS, measure: true, triggerOut: true }, ...(rest > 1e-12 ? [{ levelV: 0, durationS: rest }] : [])],
    repeat: count,
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

/** Scope set-up: the pulse from ¼ width before to 1¾ widths after the trigger; vertical ranges from the amplitude and the expected current. */
function scopeSetup(p: EnergyParams, bench: BenchInstruments): ScopeSetup {
  const w = bench.scopeWiring!;
  const vFull = Math.abs(p.amplitudeV) * 1.25;
  const iFull = p.currentRangeA * w.voltsPerAmpere * 1.25;
  return {
    timeScaleS: (2 * p.widthS) / 10,
    startS: -0.25 * p.widthS,
    channels: [
      { channel: w.voltageChannel, scaleV: vFull / 8, offsetV: (Math.sign(p.amplitudeV) * vFull) / 2 - Math.sign(p.amplitudeV) * vFull * 0.1 },
      { channel: w.currentChannel, scaleV: iFull / 8, offsetV: (Math.sign(p.amplitudeV) * iFull) / 2 - Math.sign(p.amplitudeV) * iFull * 0.1 },
    ],
    triggerLevelV: 1.5,
    points: p.scopePoints,
  };
}

function trainProgram(p: EnergyParams, bench: BenchInstruments): TrainProgram {
  const ap = readApertureS(p.nplc, bench);
  const rest = p.intervalS - p.widthS - p.readDelayS - ap;
  const unit: Segment[] = [
    { levelV: p.amplitudeV, durationS: p.widthS - ap, measure: true },
    { levelV: p.readVoltageV, durationS: p.readDelayS, measure: true },
    ...(rest > 1e-12 ? [{ levelV: 0, durationS: rest }] : []),
  ];
  return { prologue: [], unit, repeat: p.pulses, limitA: p.complianceA, nplc: p.nplc };
}

function spreadExtra(xs: number[]): Record<string, number> {
  const f = xs.filter(Number.isFinite);
  return { pulses: f.length, min: Math.min(...f), max: Math.max(...f), ...(f.length > 1 ? { cv: sampleStd(f) / mean(f) } : {}) };
}

export const energyProtocol: ProtocolDefinition<typeof ENERGY_PARAMS> = {
  id: 'energy',
  version: '1.1.0',
  title: 'Energy per spike',
  summary: 'A programming train with waveforms captured by an oscilloscope (energy.write) or the current measured on each pulse plateau (energy.estimate); energy.read (metrics.md §5).',
  params: ENERGY_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the measurement since the run started' },
    { name: 'v_V', unit: 'V', description: 'source voltage at the measurement' },
    { name: 'i_A', unit: 'A', description: 'measured current' },
    { name: 'pulse', unit: '1', description: 'pulse number, from 1 (the read after it; 0 = before the first)' },
    { name: 'role', unit: '1', description: '0 = on the pulse plateau (smu-plateau), 1 = read' },
    { name: 'aperture_s', unit: 's', description: 'integration time of the measurement: NPLC ÷ the mains frequency the SMU reported' },
    { name: 'wf_pulse', unit: '1', description: 'scope: number of the pulse this waveform sample belongs to' },
    { name: 'wf_t_s', unit: 's', description: 'scope: sample time relative to the trigger (the pulse start)' },
    { name: 'wf_v_V', unit: 'V', description: 'scope: voltage across the device' },
    { name: 'wf_i_A', unit: 'A', description: 'scope: device current (current channel ÷ its V/A)' },
  ],

  safetyViolations: pulseAndReadSafety,

  roles: (p) => (p.method === 'scope' ? ['pulse-generator', 'oscilloscope'] : []),

  checkFeasible(p, bench) {
    const ap = readApertureS(p.nplc, bench);
    if (p.intervalS < p.widthS + p.readDelayS + ap) throw new ParamError(`intervalS = ${p.intervalS} s is shorter than widthS + readDelayS + read integration`);
    feasible('', () => {
      if (p.method === 'scope') {
        if (!bench.scope || !bench.generator) throw new ParamError('method = scope needs an oscilloscope and a pulse generator (or --set method=smu-plateau)');
        bench.scope.validate(scopeSetup(p, bench));
        bench.generator.validatePulses({ channel: bench.generatorChannel ?? 1, amplitudeV: p.amplitudeV, widthS: p.widthS, periodS: p.intervalS, count: 1, trigger: 'external' });
        bench.smu.validateTrain(scopeTrain(p, Math.min(p.captureEvery, p.pulses), bench));
      } else {
        if (p.widthS <= ap) throw new ParamError(`widthS = ${p.widthS} s must exceed the read integration (${ap.toPrecision(3)} s) to measure the plateau`);
        bench.smu.validateTrain(trainProgram(p, bench));
      }
    });
  },

  estimateDurationS(p) {
    return p.pulses * p.intervalS;
  },

  async run(p, ctx) {
    if (p.method === 'smu-plateau') {
      const r = await playTrain(ctx, trainProgram(p, ctx.bench));
      const ap = readApertureS(p.nplc, ctx.bench);
      ctx.data({
        channels: {
          t_s: r.timeS.map((t) => p.widthS + t),
          v_V: r.voltageV,
          i_A: r.currentA,
          pulse: r.currentA.map((_, i) => Math.floor(i / 2) + 1),
          role: r.currentA.map((_, i) => i % 2),
          aperture_s: r.currentA.map(() => ap),
        },
        events: Array.from({ length: p.pulses }, (_, k) => ({ tS: k * p.intervalS, kind: 'pulse', data: { pulse: k + 1, amplitude_V: p.amplitudeV, width_s: p.widthS } })),
      });
      stopAtCurrentLimit(r, p.complianceA, (i) => `pulse ${Math.floor(i / 2) + 1}, ${i % 2 ? 'read' : 'plateau'}`);
      ctx.progress(1, 1, `${p.pulses} pulses`);
      return;
    }
    const { scope, generator, scopeWiring } = ctx.bench;
    if (!scope || !generator || !scopeWiring) throw new ParamError('method = scope needs an oscilloscope and a pulse generator');
    const ap = readApertureS(p.nplc, ctx.bench);
    await scope.configure(scopeSetup(p, ctx.bench));
    await generator.armPulses({ channel: ctx.bench.generatorChannel ?? 1, amplitudeV: p.amplitudeV, widthS: p.widthS, periodS: p.intervalS, count: 1, trigger: 'external' });
    let done = ctx.resumeFrom?.nextPulse ? ctx.resumeFrom.nextPulse - 1 : 0;
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    while (done < p.pulses) {
      const count = Math.min(p.captureEvery, p.pulses - done);
      const prog = scopeTrain(p, count, ctx.bench);
      await scope.arm();
      const r = await playTrain(ctx, prog);
      const wf = await scope.fetch([scopeWiring.voltageChannel, scopeWiring.currentChannel], 10_000, ctx.signal);
      const first = offsetS + (p.readDelayS || 1e-3) + ap;
      const pulseAt = (k: number) => first + k * p.intervalS;
      const captured = done + 1;
      ctx.data({
        channels: {
          t_s: r.timeS.map((t) => first + t),
          v_V: r.voltageV,
          i_A: r.currentA,
          pulse: r.currentA.map((_, i) => done + i),
          role: r.currentA.map(() => 1),
          aperture_s: r.currentA.map(() => ap),
        },
        events: Array.from({ length: count }, (_, k) => ({ tS: pulseAt(k), kind: 'pulse', data: { pulse: done + k + 1, amplitude_V: p.amplitudeV, width_s: p.widthS, captured: k === 0 ? 1 : 0 } })),
      });
      ctx.data({
        channels: {
          wf_pulse: wf.timeS.map(() => captured),
          wf_t_s: wf.timeS,
          wf_v_V: wf.volts[0],
          wf_i_A: wf.volts[1].map((v) => v / scopeWiring.voltsPerAmpere),
        },
      });
      const live = writeEnergy({ tS: wf.timeS, voltageV: wf.volts[0], currentA: wf.volts[1].map((x) => x / scopeWiring.voltsPerAmpere), pulse: [0, p.widthS], baseline: [wf.timeS[0], -0.05 * p.widthS], terminal: 'device terminals', conditions: {} });
      if (live.status === 'value') ctx.live([{ key: 'energy.write', at: captured, atLabel: 'pulse', value: live.value, unit: 'J' }]);
      stopAtCurrentLimit(r, p.complianceA, (i) => (i === 0 ? `read before pulse ${done + 1}` : `read after pulse ${done + i}`), p.readVoltageV);
      done += count;
      offsetS += programDurationS(prog, ap);
      ctx.progress(done, p.pulses, `pulse ${done}/${p.pulses} (waveform of pulse ${captured} captured)`);
      await ctx.checkpoint({ nextPulse: done + 1, offsetS });
    }
  },

  analyse(data, p) {
    const conditions: Conditions = {
      method: p.method === 'scope' ? 'oscilloscope waveform (device voltage and current)' : 'source-meter plateau current (no waveform)',
      pulse_amplitude_V: p.amplitudeV,
      pulse_width_s: p.widthS,
      read_voltage_V: p.readVoltageV,
      terminal: 'device terminals (two-terminal device)',
      device_area_m2: null,
      temperature_K: null,
    };
    const { v_V: v, i_A: i, role, pulse, aperture_s: aperture } = data.channels;
    // The aperture the SMU used (its own mains frequency); runs stored before v1.1 lack it: 50 Hz assumed, and said.
    const apertureS = aperture && aperture.length ? median(Array.from(aperture)) : p.nplc / 50;
    const assumed = !(aperture && aperture.length);
    const reads: number[] = [];
    const plateau: number[] = [];
    const readAfter = new Map<number, number>();
    if (v && i && role) {
      for (let k = 0; k < i.length; k++) {
        if (role[k] === 0) plateau.push(Math.abs(v[k] * i[k]));
        else {
          reads.push(Math.abs(v[k] * i[k]));
          if (pulse) readAfter.set(pulse[k], i[k] / v[k]);
        }
      }
    }
    const read = { id: 'energy.read', unit: 'J', method: `V_read·I_read·t_aperture per read (aperture = NPLC ÷ ${assumed ? '50 Hz mains, assumed: the run did not store its aperture' : 'the mains frequency the SMU reported'}), median over the train`, conditions: { ...conditions, read_aperture_s: apertureS } };
    const readMetric = reads.length ? present(read, median(reads.map((w) => w * apertureS))) : missing(read, 'no read measured');
    const est = { id: 'energy.estimate', unit: 'J', convention: 'estimate', conditions };
    if (p.method === 'smu-plateau') {
      const perPulse = plateau.map((w) => w * p.widthS);
      const e = { ...est, method: 'V_pulse·I_plateau·t_pulse per pulse, median over the train — an upper-bound estimate, no waveform' };
      const m = present(e, median(perPulse));
      return { metrics: [perPulse.length && m.status === 'value' ? { ...m, extra: spreadExtra(perPulse) } : missing(e, 'no plateau measured'), readMetric], conditions: { ...conditions, pulses: plateau.length } };
    }
    // Scope: one energy.write per captured waveform, summarised over the train.
    const { wf_pulse: wp, wf_t_s: wt, wf_v_V: wv, wf_i_A: wi } = data.channels;
    const byPulse = new Map<number, { t: number[]; v: number[]; i: number[] }>();
    if (wp && wt && wv && wi) {
      for (let k = 0; k < wp.length; k++) {
        const e = byPulse.get(wp[k]) ?? { t: [], v: [], i: [] };
        e.t.push(wt[k]);
        e.v.push(wv[k]);
        e.i.push(wi[k]);
        byPulse.set(wp[k], e);
      }
    }
    const energies: number[] = [];
    const estimates: number[] = [];
    for (const [n, w] of byPulse) {
      const m = writeEnergy({ tS: w.t, voltageV: w.v, currentA: w.i, pulse: [0, p.widthS], baseline: [w.t[0], -0.05 * p.widthS], terminal: 'device terminals', conditions });
      if (m.status === 'value') energies.push(m.value);
      const g = readAfter.get(n);
      if (g !== undefined) estimates.push(p.amplitudeV * p.amplitudeV * Math.abs(g) * p.widthS);
    }
    const wbase = { id: 'energy.write', unit: 'J', method: '∫ V·(I − I_base) dt over each captured pulse (trapezoid), I_base before the pulse; median over the captured pulses', conditions: { ...conditions, captured_pulses: energies.length, capture_every: p.captureEvery } };
    const writeM = present(wbase, median(energies));
    const e = { ...est, method: 'V_pulse²·G_after·t_pulse per captured pulse (G read after it), median — the cross-check of energy.write' };
    const estM = present(e, median(estimates));
    return {
      metrics: [
        energies.length && writeM.status === 'value' ? { ...writeM, extra: { ...spreadExtra(energies), ...(estimates.length ? { write_over_estimate: median(energies) / median(estimates) } : {}) } } : missing(wbase, 'no waveform captured'),
        estimates.length && estM.status === 'value' ? { ...estM, extra: spreadExtra(estimates) } : missing(e, 'no read after a captured pulse'),
        readMetric,
      ],
      conditions: { ...conditions, pulses: p.pulses },
    };
  },
};
