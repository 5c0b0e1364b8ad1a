// Energy-per-spike protocol v1 (metrics.md §5), source-meter method. A programming train
// in which the source-meter itself applies each pulse and measures the current on its
// plateau (integrating over the pulse's last read aperture), then reads at the read
// voltage. Without a sampled waveform the card gives `energy.estimate` = V·I_plateau·t per
// pulse (an upper bound: the plateau is the highest current of a potentiating pulse) and
// its spread over the train, and energy.read = V_read·I_read·t_aperture. Waveform capture
// with an oscilloscope (energy.write by integration) is not implemented yet.

import type { Metric } from '../analysis/metric.ts';
import { missing, present } from '../analysis/metric.ts';
import { mean, median, sampleStd } from '../analysis/stats.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues } from './params.ts';
import { safetyViolations } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const ENERGY_PARAMS = {
  amplitudeV: { kind: 'number', unit: 'V', default: 1.5, min: -200, max: 200, nonZero: true, help: 'programming pulse amplitude' },
  widthS: { kind: 'number', unit: 's', default: 2e-3, min: 1e-9, max: 10, help: 'programming pulse width (the plateau is measured in its last read aperture)' },
  pulses: { kind: 'integer', unit: 'pulses', default: 20, min: 1, max: 10_000, help: 'pulses in the train' },
  intervalS: { kind: 'number', unit: 's', default: 10e-3, min: 1e-6, max: 100, help: 'pulse period' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage after each pulse' },
  readDelayS: { kind: 'number', unit: 's', default: 1e-3, min: 0, max: 10, help: 'time at the read voltage before the read' },
  complianceA: { kind: 'number', unit: 'A', default: 1e-3, min: 1e-9, max: 1, help: 'current limit of the source-meter' },
  nplc: { kind: 'number', unit: 'PLC', default: 0.01, min: 0.01, max: 10, help: 'integration time of each measurement' },
} as const;

export type EnergyParams = ParamValues<typeof ENERGY_PARAMS>;

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
  version: '1.0.0',
  title: 'Energy per spike (source-meter plateau method)',
  summary: 'A programming train with the current measured on each pulse plateau; energy.estimate per pulse and its spread, energy.read (metrics.md §5).',
  params: ENERGY_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the measurement since the run started' },
    { name: 'v_V', unit: 'V', description: 'source voltage at the measurement' },
    { name: 'i_A', unit: 'A', description: 'measured current' },
    { name: 'pulse', unit: '1', description: 'pulse number, from 1' },
    { name: 'role', unit: '1', description: '0 = on the pulse plateau, 1 = read after the pulse' },
  ],

  safetyViolations(p, limits) {
    return safetyViolations(limits, {
      voltages: [
        ['amplitudeV', p.amplitudeV],
        ['readVoltageV', p.readVoltageV],
      ],
      widths: [['widthS', p.widthS]],
      complianceA: p.complianceA,
    });
  },

  roles: () => [],

  checkFeasible(p, bench) {
    const ap = readApertureS(p.nplc, bench);
    if (p.widthS <= ap) throw new ParamError(`widthS = ${p.widthS} s must exceed the read integration (${ap.toPrecision(3)} s) to measure the plateau`);
    if (p.intervalS < p.widthS + p.readDelayS + ap) throw new ParamError(`intervalS = ${p.intervalS} s is shorter than widthS + readDelayS + read integration`);
    try {
      bench.smu.validateTrain(trainProgram(p, bench));
    } catch (e) {
      throw new ParamError((e as Error).message);
    }
  },

  estimateDurationS(p) {
    return p.pulses * p.intervalS;
  },

  async run(p, ctx) {
    const r = await playTrain(ctx, trainProgram(p, ctx.bench));
    ctx.data({
      channels: {
        t_s: r.timeS.map((t) => p.widthS + t),
        v_V: r.voltageV,
        i_A: r.currentA,
        pulse: r.currentA.map((_, i) => Math.floor(i / 2) + 1),
        role: r.currentA.map((_, i) => i % 2),
      },
      events: Array.from({ length: p.pulses }, (_, k) => ({ tS: k * p.intervalS, kind: 'pulse', data: { pulse: k + 1, amplitude_V: p.amplitudeV, width_s: p.widthS } })),
    });
    stopAtCurrentLimit(r, p.complianceA, (i) => `pulse ${Math.floor(i / 2) + 1}, ${i % 2 ? 'read' : 'plateau'}`);
    ctx.progress(1, 1, `${p.pulses} pulses`);
  },

  analyse(data, p) {
    const { v_V: v, i_A: i, role } = data.channels;
    const plateau: number[] = [];
    const reads: number[] = [];
    if (v && i && role) for (let k = 0; k < i.length; k++) (role[k] === 0 ? plateau : reads).push(Math.abs(v[k] * i[k]));
    const apertureS = p.nplc / 50;
    const conditions = {
      pulse_amplitude_V: p.amplitudeV,
      pulse_width_s: p.widthS,
      pulses: plateau.length,
      read_voltage_V: p.readVoltageV,
      terminal: 'source-meter terminal (two-terminal device)',
      device_area_m2: null,
      method: 'source-meter plateau current (no waveform)',
      temperature_K: null,
    };
    const perPulse = plateau.map((w) => w * p.widthS);
    const est = { id: 'energy.estimate', unit: 'J', method: 'V_pulse·I_plateau·t_pulse per pulse, median over the train — an upper-bound estimate, no waveform', convention: 'estimate', conditions };
    const read = { id: 'energy.read', unit: 'J', method: 'V_read·I_read·t_aperture per read (aperture at 50 Hz mains), median over the train', conditions: { ...conditions, read_aperture_s: apertureS } };
    const metrics: Metric[] = [
      perPulse.length ? { ...(present(est, median(perPulse)) as Extract<Metric, { status: 'value' }>), extra: spreadExtra(perPulse) } : missing(est, 'no plateau measured'),
      reads.length ? present(read, median(reads.map((w) => w * apertureS))) : missing(read, 'no read measured'),
    ];
    return { metrics, conditions };
  },
};
