// Forming protocol v1 (metrics.md §12): a pulse ramp with current compliance. Each step is
// one hardware-timed train: a stress pulse at the step's voltage under the compliance,
// then a read at the read voltage. The ramp stops at the first read below the target
// resistance (the device formed) or at the last step ("not formed up to V_max" is a
// result). Reaching compliance is what forming does, so the current-limit stop rule is
// not applied; the compliance is what protects the device.

import { formingFromSteps, type FormingStep } from '../analysis/iv.ts';
import type { TrainProgram } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS } from './train.ts';
import { ParamError, type ParamValues, feasible } from './params.ts';
import { safetyViolations } from './safety.ts';
import type { ProtocolDefinition } from './protocol.ts';

export const FORMING_PARAMS = {
  startV: { kind: 'number', unit: 'V', default: 0.5, min: -200, max: 200, nonZero: true, help: 'first stress voltage (its sign is the forming polarity)' },
  stopV: { kind: 'number', unit: 'V', default: 5, min: -200, max: 200, nonZero: true, help: 'last stress voltage, same sign as startV' },
  stepV: { kind: 'number', unit: 'V', default: 0.1, min: 1e-3, max: 10, help: 'increase per step' },
  pulseWidthS: { kind: 'number', unit: 's', default: 1e-3, min: 1e-9, max: 10, help: 'width of each stress pulse' },
  complianceA: { kind: 'number', unit: 'A', default: 100e-6, min: 1e-9, max: 1, help: 'current limit during the stress pulses' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage after each pulse' },
  targetOhm: { kind: 'number', unit: 'Ω', default: 1e6, min: 1, max: 1e12, help: 'formed when the read resistance falls below this' },
  nplc: { kind: 'number', unit: 'PLC', default: 0.01, min: 0.01, max: 10, help: 'integration time of each read' },
} as const;

export type FormingParams = ParamValues<typeof FORMING_PARAMS>;

export function formingVoltages(p: FormingParams): number[] {
  const n = Math.floor((Math.abs(p.stopV) - Math.abs(p.startV)) / p.stepV + 1e-9) + 1;
  return Array.from({ length: Math.max(1, n) }, (_, k) => Math.sign(p.startV) * (Math.abs(p.startV) + k * p.stepV));
}

function stepProgram(p: FormingParams, v: number): TrainProgram {
  return {
    prologue: [{ levelV: v, durationS: p.pulseWidthS }],
    unit: [{ levelV: p.readVoltageV, durationS: 1e-3, measure: true }],
    repeat: 1,
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

export const formingProtocol: ProtocolDefinition<typeof FORMING_PARAMS> = {
  id: 'forming',
  version: '1.0.0',
  title: 'Forming (pulse ramp with compliance)',
  summary: 'Rising stress pulses under compliance, a read after each; stops at the target resistance; V_form (metrics.md §12).',
  params: FORMING_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the read since the run started' },
    { name: 'stress_V', unit: 'V', description: 'stress pulse voltage of this step' },
    { name: 'i_read_A', unit: 'A', description: 'current at the read voltage after the pulse' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the read' },
    { name: 'step', unit: '1', description: 'step number, from 1' },
  ],

  safetyViolations(p, limits) {
    return safetyViolations(limits, {
      voltages: [
        ['startV', p.startV],
        ['stopV', p.stopV],
        ['readVoltageV', p.readVoltageV],
      ],
      widths: [['pulseWidthS', p.pulseWidthS]],
      complianceA: p.complianceA,
    });
  },

  roles: () => [],

  checkFeasible(p, bench) {
    if (Math.sign(p.startV) !== Math.sign(p.stopV) || Math.abs(p.stopV) < Math.abs(p.startV)) {
      throw new ParamError(`stopV = ${p.stopV} V must have the sign of startV = ${p.startV} V and be at least as large`);
    }
    feasible('', () => bench.smu.validateTrain(stepProgram(p, p.stopV)));
  },

  estimateDurationS(p, lineFrequencyHz) {
    return formingVoltages(p).length * programDurationS(stepProgram(p, p.stopV), p.nplc / lineFrequencyHz);
  },

  async run(p, ctx) {
    const volts = formingVoltages(p);
    const ap = readApertureS(p.nplc, ctx.bench);
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    for (let k = ctx.resumeFrom?.nextStep ?? 1; k <= volts.length; k++) {
      const v = volts[k - 1];
      const prog = stepProgram(p, v);
      const r = await playTrain(ctx, prog);
      const readS = offsetS + p.pulseWidthS + 1e-3 + ap;
      ctx.data({
        channels: { t_s: [readS], stress_V: [v], i_read_A: r.currentA, v_read_V: r.voltageV, step: [k] },
        events: [{ tS: offsetS, kind: 'pulse', data: { step: k, amplitude_V: v, width_s: p.pulseWidthS } }],
      });
      offsetS += programDurationS(prog, ap);
      const ohm = Math.abs(r.voltageV[0] / r.currentA[0]);
      ctx.live([{ key: 'forming.read', at: Math.abs(v), atLabel: 'stress |V| (V)', value: ohm, unit: 'Ω' }]);
      ctx.progress(k, volts.length, `step ${k}/${volts.length}: ${v.toFixed(2)} V → ${ohm.toPrecision(3)} Ω`);
      if (ohm < p.targetOhm) return `formed at ${Math.abs(v).toFixed(3)} V (read ${ohm.toPrecision(3)} Ω < target ${p.targetOhm} Ω)`;
      await ctx.checkpoint({ nextStep: k + 1, offsetS });
    }
    return `not formed up to ${Math.abs(volts[volts.length - 1]).toFixed(3)} V`;
  },

  analyse(data, p) {
    const { stress_V: v, i_read_A: i, v_read_V: vr } = data.channels;
    const steps: FormingStep[] = [];
    if (v && i && vr) for (let k = 0; k < i.length; k++) steps.push({ voltageV: v[k], readOhm: Math.abs(vr[k] / i[k]) });
    const conditions = {
      compliance_A: p.complianceA,
      pulse_width_s: p.pulseWidthS,
      step_V: p.stepV,
      start_V: p.startV,
      read_voltage_V: p.readVoltageV,
      ramp: 'pulse ramp, read after each pulse',
      temperature_K: null,
    };
    return { metrics: [formingFromSteps(steps, p.targetOhm, conditions)], conditions };
  },
};
