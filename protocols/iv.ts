// I-V switching protocol v1 (metrics.md §12): per cycle, a SET dual staircase
// 0 → V_set,max → 0 under the SET compliance, then a RESET dual staircase 0 → V_reset,max → 0
// under the RESET compliance; after each sweep a separate read at the read voltage gives
// R_on (after SET) and R_off (after RESET). Each sweep is one hardware-timed train: the
// source-meter steps through the levels on its own clock. Reaching the compliance is the
// point of a SET sweep, so the current-limit stop rule is not applied here.

import { analyseIv, type IvCycle, ivCycle } from '../analysis/iv.ts';
import type { Segment, TrainProgram } from '../drivers/instruments/waveform.ts';
import { programDurationS } from '../drivers/instruments/waveform.ts';
import { playTrain, readApertureS } from './train.ts';
import { ParamError, type ParamValues, feasible } from './params.ts';
import { safetyViolations } from './safety.ts';
import type { BenchInstruments, ProtocolDefinition } from './protocol.ts';

export const IV_PARAMS = {
  mode: { kind: 'enum', unit: '', default: 'staircase', choices: ['staircase', 'pulsed'], help: 'staircase: each level held stepS and measured at its end; pulsed: each level a pulse of stepS (measured at its end) followed by offS at 0 V' },
  offS: { kind: 'number', unit: 's', default: 0.01, min: 1e-4, max: 100, help: 'pulsed mode: time at 0 V between pulses' },
  setMaxV: { kind: 'number', unit: 'V', default: 1.5, min: -200, max: 200, nonZero: true, help: 'turning voltage of the SET sweep (its sign is the SET polarity)' },
  resetMaxV: { kind: 'number', unit: 'V', default: -1.5, min: -200, max: 200, nonZero: true, help: 'turning voltage of the RESET sweep (opposite sign to setMaxV)' },
  stepV: { kind: 'number', unit: 'V', default: 0.02, min: 1e-4, max: 10, help: 'staircase step' },
  stepS: { kind: 'number', unit: 's', default: 0.01, min: 1e-4, max: 10, help: 'time at each step before its measurement' },
  cycles: { kind: 'integer', unit: 'cycles', default: 5, min: 1, max: 10_000, help: 'SET + RESET sweep pairs' },
  setComplianceA: { kind: 'number', unit: 'A', default: 50e-6, min: 1e-9, max: 1, help: 'current limit during the SET sweep' },
  resetComplianceA: { kind: 'number', unit: 'A', default: 1e-3, min: 1e-9, max: 1, help: 'current limit during the RESET sweep' },
  readVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: -10, max: 10, nonZero: true, help: 'read voltage for R_on and R_off' },
  minVoltageV: { kind: 'number', unit: 'V', default: 0.1, min: 0, max: 10, help: 'the steepest-rise rule ignores |V| below this' },
  nplc: { kind: 'number', unit: 'PLC', default: 0.01, min: 0.01, max: 10, help: 'integration time of each measurement' },
} as const;

export type IvParams = ParamValues<typeof IV_PARAMS>;

/** Levels of a dual staircase 0 → max → 0 (the zero ends left out: they measure nothing). */
export function staircase(maxV: number, stepV: number): number[] {
  const n = Math.max(1, Math.round(Math.abs(maxV) / stepV));
  const s = Math.sign(maxV);
  const up = Array.from({ length: n }, (_, k) => (s * Math.abs(maxV) * (k + 1)) / n);
  return [...up, ...up.slice(0, -1).reverse()];
}

function sweepProgram(p: IvParams, maxV: number, limitA: number): TrainProgram {
  const points: Segment[] = staircase(maxV, p.stepV).flatMap((levelV): Segment[] =>
    p.mode === 'pulsed' ? [{ levelV, durationS: p.stepS, measure: true }, { levelV: 0, durationS: p.offS }] : [{ levelV, durationS: p.stepS, measure: true }],
  );
  return { prologue: points, unit: [{ levelV: p.readVoltageV, durationS: p.stepS, measure: true }], repeat: 1, limitA, nplc: p.nplc };
}

function check(p: IvParams, bench: BenchInstruments): void {
  if (Math.sign(p.setMaxV) === Math.sign(p.resetMaxV)) throw new ParamError(`setMaxV = ${p.setMaxV} V and resetMaxV = ${p.resetMaxV} V must have opposite signs (bipolar switching)`);
  for (const [name, v] of [['setMaxV', p.setMaxV], ['resetMaxV', p.resetMaxV]] as const) {
    if (Math.abs(v) < p.stepV) throw new ParamError(`${name} = ${v} V is smaller than one step (${p.stepV} V)`);
  }
  bench.smu.validateTrain(sweepProgram(p, p.setMaxV, p.setComplianceA));
  bench.smu.validateTrain(sweepProgram(p, p.resetMaxV, p.resetComplianceA));
}

export const ivProtocol: ProtocolDefinition<typeof IV_PARAMS> = {
  id: 'iv',
  version: '1.0.0',
  title: 'I-V switching sweeps',
  summary: 'Bipolar dual staircases with compliance; V_set, V_reset, R_on, R_off, on/off ratio per cycle (metrics.md §12).',
  params: IV_PARAMS,
  channels: [
    { name: 't_s', unit: 's', description: 'time of the measurement since the run started' },
    { name: 'v_V', unit: 'V', description: 'source voltage at the measurement' },
    { name: 'i_A', unit: 'A', description: 'measured current' },
    { name: 'cycle', unit: '1', description: 'cycle number, from 1' },
    { name: 'sweep', unit: '1', description: '1 = SET sweep, 2 = RESET sweep' },
    { name: 'role', unit: '1', description: '0 = sweep point, 1 = read after the sweep' },
  ],

  safetyViolations(p, limits) {
    return safetyViolations(limits, {
      voltages: [
        ['setMaxV', p.setMaxV],
        ['resetMaxV', p.resetMaxV],
        ['readVoltageV', p.readVoltageV],
      ],
      widths: [['stepS', p.stepS]],
      complianceA: Math.max(p.setComplianceA, p.resetComplianceA),
    });
  },

  roles: () => [],

  checkFeasible(p, bench) {
    feasible('', () => check(p, bench));
  },

  estimateDurationS(p, lineFrequencyHz) {
    const ap = p.nplc / lineFrequencyHz;
    return p.cycles * (programDurationS(sweepProgram(p, p.setMaxV, p.setComplianceA), ap) + programDurationS(sweepProgram(p, p.resetMaxV, p.resetComplianceA), ap));
  },

  async run(p, ctx) {
    const ap = readApertureS(p.nplc, ctx.bench);
    let offsetS = ctx.resumeFrom?.offsetS ?? 0;
    for (let c = ctx.resumeFrom?.nextCycle ?? 1; c <= p.cycles; c++) {
      const cycle: IvCycle = {};
      for (const [sweep, maxV, limitA] of [
        [1, p.setMaxV, p.setComplianceA],
        [2, p.resetMaxV, p.resetComplianceA],
      ] as const) {
        const prog = sweepProgram(p, maxV, limitA);
        const r = await playTrain(ctx, prog);
        const n = r.currentA.length;
        ctx.data({
          channels: {
            t_s: r.timeS.map((t) => offsetS + p.stepS + ap + t),
            v_V: r.voltageV,
            i_A: r.currentA,
            cycle: r.currentA.map(() => c),
            sweep: r.currentA.map(() => sweep),
            role: r.currentA.map((_, i) => (i === n - 1 ? 1 : 0)),
          },
          events: [{ tS: offsetS, kind: sweep === 1 ? 'set-sweep' : 'reset-sweep', data: { cycle: c, max_V: maxV, compliance_A: limitA } }],
        });
        offsetS += programDurationS(prog, ap);
        const s = { voltageV: r.voltageV.slice(0, n - 1), currentA: r.currentA.slice(0, n - 1) };
        const readOhm = Math.abs(r.voltageV[n - 1] / r.currentA[n - 1]);
        if (sweep === 1) Object.assign(cycle, { set: s, rOnReadOhm: readOhm });
        else Object.assign(cycle, { reset: s, rOffReadOhm: readOhm });
      }
      const res = ivCycle(cycle, { complianceA: p.setComplianceA, readVoltageV: Math.abs(p.readVoltageV), minVoltageV: p.minVoltageV, conditions: {} });
      ctx.live([
        { key: 'iv.v_set', at: c, atLabel: 'cycle', value: Number.isFinite(res.vSetCompliance) ? res.vSetCompliance : res.vSetSteepest, unit: 'V' },
        { key: 'iv.v_reset', at: c, atLabel: 'cycle', value: res.vReset, unit: 'V' },
        { key: 'iv.on_off', at: c, atLabel: 'cycle', value: res.rOff / res.rOn, unit: '1' },
      ]);
      ctx.progress(c, p.cycles, `cycle ${c}/${p.cycles}`);
      await ctx.checkpoint({ nextCycle: c + 1, offsetS });
    }
  },

  analyse(data, p) {
    const { v_V: v, i_A: i, cycle, sweep, role } = data.channels;
    const byCycle = new Map<number, IvCycle>();
    if (v && i && cycle && sweep && role) {
      const open = new Map<string, { voltageV: number[]; currentA: number[] }>();
      for (let k = 0; k < i.length; k++) {
        const c = byCycle.get(cycle[k]) ?? {};
        byCycle.set(cycle[k], c);
        const key = `${cycle[k]}:${sweep[k]}`;
        if (role[k] === 1) {
          const r = Math.abs(v[k] / i[k]);
          if (sweep[k] === 1) c.rOnReadOhm = r;
          else c.rOffReadOhm = r;
          continue;
        }
        let s = open.get(key);
        if (!s) {
          open.set(key, (s = { voltageV: [], currentA: [] }));
          if (sweep[k] === 1) c.set = s;
          else c.reset = s;
        }
        s.voltageV.push(v[k]);
        s.currentA.push(i[k]);
      }
    }
    const conditions = {
      set_max_V: p.setMaxV,
      reset_max_V: p.resetMaxV,
      step_V: p.stepV,
      step_s: p.stepS,
      set_compliance_A: p.setComplianceA,
      reset_compliance_A: p.resetComplianceA,
      sweep: p.mode === 'pulsed' ? `pulsed dual sweep 0 → max → 0 (pulses of ${p.stepS} s, ${p.offS} s at 0 V between), SET then RESET` : 'dual staircase 0 → max → 0, SET then RESET',
      temperature_K: null,
    };
    const cycles = [...byCycle.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    const { metrics } = analyseIv(cycles, { complianceA: p.setComplianceA, readVoltageV: Math.abs(p.readVoltageV), minVoltageV: p.minVoltageV, conditions });
    return { metrics, conditions };
  },
};
