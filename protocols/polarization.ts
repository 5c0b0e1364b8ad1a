// Polarization-angle protocol v1 (metrics.md §9). The polarizer on the rotation stage
// steps through an angle list; at each angle, read back from the stage, one
// instrument-timed train on the source-meter: a dark read, then (its digital line firing
// the light gate) a read during the first light pulse, the rest of the light pulses, and
// a read after the light is off. I_ph = I_light − I_dark gives the photocurrent's
// polarization ratio and axis; ΔG = (I_after − I_dark)/V_read, the light-induced weight
// change, gets the same fit. The generator is armed once per run; the stage moves between
// trains, never while light is on.

import { analysePolarization } from '../analysis/polarization.ts';
import type { Metric } from '../analysis/metric.ts';
import type { TrainProgram } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS, stopAtCurrentLimit } from './train.ts';
import { ParamError, type ParamValues, feasible, COMPLIANCE_PARAM, READ_NPLC_PARAM } from './params.ts';
import { safetyViolations } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const POLARIZATION_PARAMS = {
  angleStartDeg: { kind: 'number', unit: 'deg', default: 0, min: -720, max: 720, help: 'first polarizer angle (lab frame)' },
  angleStopDeg: { kind: 'number', unit: 'deg', default: 180, min: -720, max: 720, help: 'last polarizer angle; cover at least 180° for the fit' },
  angleStepDeg: { kind: 'number', unit: 'deg', default: 10, min: 0.1, max: 180, help: 'angle step' },
  lightPulses: { kind: 'integer', unit: 'pulses', default: 5, min: 1, max: 10_000, help: 'light pulses at each angle' },
  lightWidthS: { kind: 'number', unit: 's', default: 10e-3, min: 1e-6, max: 10, help: 'width of each light pulse' },
  lightPeriodS: { kind: 'number', unit: 's', default: 20e-3, min: 2e-6, max: 100, help: 'light pulse period' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage (dark, lit and after)' },
  readDelayS: { kind: 'number', unit: 's', default: 4e-3, min: 1e-6, max: 10, help: 'time into the first light pulse before the lit read' },
  settleS: { kind: 'number', unit: 's', default: 20e-3, min: 1e-3, max: 100, help: 'time after the last light pulse before the read after' },
  complianceA: COMPLIANCE_PARAM,
  nplc: READ_NPLC_PARAM,
} as const;

export type PolarizationParams = ParamValues<typeof POLARIZATION_PARAMS>;

export function angleList(p: PolarizationParams): number[] {
  const n = Math.floor(Math.abs(p.angleStopDeg - p.angleStartDeg) / p.angleStepDeg + 1e-9) + 1;
  const s = Math.sign(p.angleStopDeg - p.angleStartDeg) || 1;
  return Array.from({ length: n }, (_, k) => p.angleStartDeg + s * k * p.angleStepDeg);
}

const DARK_HOLD_S = 1e-3;

function angleProgram(p: PolarizationParams, bench: BenchInstruments): TrainProgram {
  const ap = readApertureS(p.nplc, bench);
  const lightEndS = (p.lightPulses - 1) * p.lightPeriodS + p.lightWidthS;
  return {
    prologue: [
      { levelV: p.readVoltageV, durationS: DARK_HOLD_S, measure: true },
      { levelV: p.readVoltageV, durationS: p.readDelayS, measure: true, triggerOut: true },
      { levelV: p.readVoltageV, durationS: lightEndS - p.readDelayS - ap + p.settleS, measure: true },
    ],
    unit: [],
    repeat: 1,
    limitA: p.complianceA,
    nplc: p.nplc,
  };
}

export const polarizationProtocol: ProtocolDefinition<typeof POLARIZATION_PARAMS> = {
  id: 'polarization',
  version: '1.0.0',
  title: 'Polarization-angle sweep',
  summary: 'Polarizer angles on a rotation stage; dark, lit and after reads with gated light pulses; PR, dichroism and axis of the photocurrent and of ΔG (metrics.md §9).',
  params: POLARIZATION_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the read since the run started (instrument clock within each angle)' },
    { name: 'angle_deg', unit: 'deg', description: 'polarizer angle read back from the stage (lab frame)' },
    { name: 'i_read_A', unit: 'A', description: 'current at the read voltage' },
    { name: 'v_read_V', unit: 'V', description: 'voltage at the read' },
    { name: 'role', unit: '1', description: '0 = dark read, 1 = read during the first light pulse, 2 = read after the light' },
  ],

  safetyViolations(p, limits, bench) {
    const out = safetyViolations(limits, { voltages: [['readVoltageV', p.readVoltageV]], widths: [], complianceA: p.complianceA });
    const s = bench.stage;
    if (s) {
      for (const a of angleList(p)) {
        if (a < s.minDeg || a > s.maxDeg) {
          out.push(`angle ${a}° is outside the stage's allowed travel ${s.minDeg}…${s.maxDeg}° (wiring.rotationStage)`);
          break;
        }
      }
    }
    return out;
  },

  roles: () => ['light-source', 'rotation-stage'],

  checkFeasible(p, bench) {
    const { light, stage } = bench;
    if (!light || !stage) throw new ParamError('polarization needs a light source and a rotation stage on the bench');
    const ap = readApertureS(p.nplc, bench);
    if (p.readDelayS + ap >= p.lightWidthS) throw new ParamError(`readDelayS + read integration (${(p.readDelayS + ap).toPrecision(3)} s) must end within the light pulse (lightWidthS = ${p.lightWidthS} s)`);
    if (p.lightPeriodS <= p.lightWidthS) throw new ParamError(`lightPeriodS = ${p.lightPeriodS} s must exceed lightWidthS = ${p.lightWidthS} s`);
    const angles = angleList(p);
    if (angles.length < 3) throw new ParamError(`${angles.length} angle(s): the fit needs at least 3`);
    feasible('', () => {
      for (const a of angles) stage.checkAngle(a + (bench.stageOffsetDeg ?? 0));
      light.validatePulses({ widthS: p.lightWidthS, periodS: p.lightPeriodS, count: p.lightPulses });
      bench.smu.validateTrain(angleProgram(p, bench));
    });
  },

  /** The instruments' programmed time (stage moves not included: they depend on the stage). */
  estimateDurationS(p, lineFrequencyHz) {
    const ap = p.nplc / lineFrequencyHz;
    return angleList(p).length * (DARK_HOLD_S + (p.lightPulses - 1) * p.lightPeriodS + p.lightWidthS + p.settleS + 2 * ap);
  },

  async run(p, ctx) {
    const { light, stage } = ctx.bench;
    if (!light || !stage) throw new ParamError('polarization needs a light source and a rotation stage on the bench');
    const offset = ctx.bench.stageOffsetDeg ?? 0;
    const angles = angleList(p);
    const prog = angleProgram(p, ctx.bench);
    const ap = readApertureS(p.nplc, ctx.bench);
    await light.arm({ widthS: p.lightWidthS, periodS: p.lightPeriodS, count: p.lightPulses });
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    for (let k = ctx.resumeFrom?.nextAngle ?? 1; k <= angles.length; k++) {
      const readBack = (await stage.moveTo(angles[k - 1] + offset)) - offset;
      const r = await playTrain(ctx, prog);
      const first = offsetS + DARK_HOLD_S + ap;
      ctx.data({
        channels: {
          t_s: r.timeS.map((t) => first + t),
          angle_deg: r.currentA.map(() => readBack),
          i_read_A: r.currentA,
          v_read_V: r.voltageV,
          role: r.currentA.map((_, i) => i),
        },
        events: [{ tS: first, kind: 'light', data: { angle_deg: readBack, pulses: p.lightPulses, width_s: p.lightWidthS, power_mW: light.calibration.powerMw } }],
      });
      stopAtCurrentLimit(r, p.complianceA, (i) => `angle ${readBack.toFixed(2)}°, read ${i}`, p.readVoltageV);
      ctx.live([
        { key: 'polarization.i_ph', at: readBack, atLabel: 'angle (°)', value: r.currentA[1] - r.currentA[0], unit: 'A' },
        { key: 'polarization.delta_g', at: readBack, atLabel: 'angle (°)', value: (r.currentA[2] - r.currentA[0]) / p.readVoltageV, unit: 'S' },
      ]);
      offsetS += programDurationS(prog, ap);
      ctx.progress(k, angles.length, `angle ${k}/${angles.length}: ${readBack.toFixed(2)}°`);
      await ctx.checkpoint({ nextAngle: k + 1, offsetS });
    }
  },

  analyse(data, p) {
    const { angle_deg: angle, i_read_A: current, role } = data.channels;
    const byAngle = new Map<number, number[]>();
    if (angle && current && role) {
      for (let i = 0; i < current.length; i++) {
        const key = Math.floor(i / 3);
        const e = byAngle.get(key) ?? [NaN, NaN, NaN, NaN];
        e[role[i]] = current[i];
        e[3] = angle[i];
        byAngle.set(key, e);
      }
    }
    const rows = [...byAngle.values()];
    const conditions = {
      light_pulses: p.lightPulses,
      light_width_s: p.lightWidthS,
      light_period_s: p.lightPeriodS,
      read_voltage_V: p.readVoltageV,
      read_delay_s: p.readDelayS,
      angles: rows.length,
      angle_span_deg: Math.abs(p.angleStopDeg - p.angleStartDeg),
      temperature_K: null,
    };
    const angleDeg = rows.map((r) => r[3]);
    const photo = analysePolarization({ angleDeg, lightA: rows.map((r) => r[1]), darkA: rows.map((r) => r[0]), conditions });
    const weight = analysePolarization({ angleDeg, lightA: rows.map((r) => (r[2] - r[0]) / p.readVoltageV), darkA: 0, unit: 'S', conditions }).map(
      (m): Metric => ({ ...m, qualifier: 'delta_g', method: `${m.method.replace('I_ph = I_light − I_dark', 'ΔG = (I_after − I_dark)/V_read')}` }),
    );
    return { metrics: [...photo, ...weight], conditions };
  },
};
