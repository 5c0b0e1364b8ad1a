import { describe, expect, it } from 'vitest';
import { analyseIv, complianceVoltage, formingFromSteps, formingFromSweep, ivCycle, peakCurrent, returnResistance, steepestRiseVoltage, turningIndex } from '../../analysis/iv.ts';
import type { Metric, PresentMetric } from '../../analysis/metric.ts';
import { readK4200Workbook } from '../../app/import/k4200-workbook.ts';
import { NEEDS_REFERENCE_DATA, hasReferenceData, referenceFile } from '../helpers/reference-data.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

const value = (ms: Metric[], id: string, qualifier?: string) => {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier);
  if (!m || m.status !== 'value') throw new Error(`${id}:${qualifier ?? ''} not present: ${m && m.status === 'missing' ? m.reason : 'absent'}`);
  return m as PresentMetric;
};

/** An ideal SET dual sweep 0 → vMax → 0: HRS until vSet, then clamped at the compliance, LRS on the way back. */
function idealSet(vSet: number, vMax: number, step: number, rOff: number, rOn: number, compliance: number) {
  const v: number[] = [];
  const i: number[] = [];
  for (let k = 1; k * step <= vMax + 1e-9; k++) v.push(k * step);
  for (let k = Math.round(vMax / step) - 1; k >= 1; k--) v.push(k * step);
  let on = false;
  for (const x of v) {
    if (x >= vSet - 1e-9) on = true;
    i.push(Math.min(compliance, x / (on ? rOn : rOff)));
  }
  return { voltageV: v, currentA: i };
}

describe('I-V analysis (metrics.md §12)', () => {
  it('finds the turning point, the compliance and steepest-rise V_set, and R_on on the return half', () => {
    const s = idealSet(1.2, 2, 0.02, 1e6, 1e3, 1e-4);
    expect(s.voltageV[turningIndex(s.voltageV)]).toBeCloseTo(2, 9);
    expect(complianceVoltage(s, 1e-4)).toBeCloseTo(1.2, 9);
    expect(steepestRiseVoltage(s)).toBeCloseTo(1.2, 9);
    expect(returnResistance(s, 0.1)).toBeCloseTo(1e3, 6);
    // Below the compliance the rule has nothing to report, and says so with NaN.
    expect(complianceVoltage(s, 1)).toBeNaN();
  });

  it('RESET: the peak-current rule, and R_off from the return half', () => {
    // 0 → 2 V: LRS 1 kΩ until 0.9 V, then the current falls to HRS 1 MΩ.
    const v = Array.from({ length: 100 }, (_, k) => (k + 1) * 0.02).concat(Array.from({ length: 99 }, (_, k) => 2 - (k + 1) * 0.02));
    const i = v.map((x, k) => (k < 100 && x <= 0.9 + 1e-9 ? x / 1e3 : x / 1e6));
    const s = { voltageV: v, currentA: i };
    expect(peakCurrent(s).v).toBeCloseTo(0.9, 9);
    expect(returnResistance(s, 0.2)).toBeCloseTo(1e6, 3);
    // Read at 0.06 V, where the LRS current (60 µA) is below the compliance.
    const r = ivCycle({ set: idealSet(1.2, 2, 0.02, 1e6, 1e3, 1e-4), reset: s }, { complianceA: 1e-4, readVoltageV: 0.06, conditions: {} });
    expect(r.rOff / r.rOn).toBeCloseTo(1000, 3);
  });

  it('summarises cycles: medians, σ/μ and σ(log10 R); the compliance rule is primary when reached', () => {
    const cycles = [1.1, 1.2, 1.3].map((vs, k) => ({ set: idealSet(vs, 2, 0.02, 1e6 * (k + 1), 1e3, 1e-4), rOffReadOhm: 1e6 * 10 ** k, rOnReadOhm: 1e3 }));
    const ms = analyseIv(cycles, { complianceA: 1e-4, readVoltageV: 0.1, conditions: { device: 'x' } }).metrics;
    const vset = value(ms, 'iv.v_set');
    expect(vset.method).toBe('compliance');
    expect(vset.value).toBeCloseTo(1.2, 9);
    expect(value(ms, 'iv.r_off').extra?.sd_log10).toBeCloseTo(1, 9);
    expect(value(ms, 'iv.on_off').value).toBeCloseTo(1e4, 6);
    expect(vset.conditions).toMatchObject({ compliance_A: 1e-4, cycles: 3, device: 'x' });
  });

  it('forming: the first step whose read falls below the target; "not formed up to V_max" is a result', () => {
    const steps = [1, 1.5, 2, 2.5, 3].map((v) => ({ voltageV: v, readOhm: v < 2.5 ? 1e9 : 5e3 }));
    const m = formingFromSteps(steps, 1e5, {});
    expect(m.status === 'value' && m.value).toBe(2.5);
    const never = formingFromSteps(steps.slice(0, 3), 1e5, {});
    expect(never.status === 'missing' && never.reason).toBe('not formed up to 2 V');
  });
});

describe.runIf(hasReferenceData)(`real data: Keithley 4200A RRAM sweeps (arrayan/memristor-analysis) ${NEEDS_REFERENCE_DATA}`, () => {
  it('10 SET/RESET cycles: V_reset, R_on and R_off agree with the instrument’s own per-sweep numbers; V_set with its VSET', async () => {
    const set = await readK4200Workbook(referenceFile('arrayan_H16248L_B12_03_endurance_set.xlsx'));
    const reset = await readK4200Workbook(referenceFile('arrayan_H16248L_B12_03_endurance_reset.xlsx'));
    expect(set.runs.map((r) => r.number)).toEqual([113, 114, 115, 116, 117, 118, 119, 120, 121, 122]);
    expect(set.runs[0].voltageV.length).toBe(502); // 0 → −2.5 → 0 V in 10 mV steps, as the README of the data says
    const o = { complianceA: 5e-4, readVoltageV: 0.2, conditions: {} };
    const cycles = set.runs.map((s, k) => ({ set: s, reset: reset.runs[k] }));
    let vsetAgree = 0;
    for (const c of cycles) {
      const r = ivCycle(c, o);
      // The instrument's VRESET is V at the largest current: the same rule, so the same sample.
      expect(r.vReset).toBeCloseTo(c.reset.summary.VRESET, 5);
      // ILRS is I at |V| = 0.2 V in the low-resistance state; the RESET sheet's IHRS likewise for the high.
      expect(r.rOn / (0.2 / c.set.summary.ILRS)).toBeCloseTo(1, 2);
      expect(r.rOff / (0.2 / c.reset.summary.IHRS)).toBeCloseTo(1, 2);
      // V_set: a person reading the plotted sweep would put it at the jump; the instrument's VSET is that jump.
      const vset = Number.isFinite(r.vSetCompliance) ? r.vSetCompliance : r.vSetSteepest;
      if (Math.abs(vset - c.set.summary.VSET) < 0.011) vsetAgree++;
      expect(r.vSetSteepest).toBeCloseTo(c.set.summary.VSET, 5);
    }
    // One cycle (the last) creeps to the compliance 0.34 V after its first jump: the compliance rule gives 1.0 V there.
    expect(vsetAgree).toBe(9);
    const ms = analyseIv(cycles, o).metrics;
    expect(value(ms, 'iv.v_reset').value).toBeGreaterThan(0.9);
    expect(value(ms, 'iv.v_reset').value).toBeLessThan(1.1);
    expect(value(ms, 'iv.on_off').value).toBeGreaterThan(10);
    expect(value(ms, 'iv.r_off').extra?.sd_log10).toBeGreaterThan(0.3); // HRS spans decades
  });

  it('the forming sweep (0 → −7 V, 0.5 mA compliance) forms at the instrument’s VFORM', async () => {
    const f = await readK4200Workbook(referenceFile('arrayan_H16248L_B12_01_Electroforming.xlsx'));
    expect(f.complianceA).toBe(5e-4);
    expect(f.stopV).toBe(-7);
    const ms = formingFromSweep(f.runs[0], f.complianceA ?? NaN, {});
    expect(value(ms, 'forming.v_form').value).toBeCloseTo(f.runs[0].summary.VFORM, 5);
    expect(value(ms, 'forming.v_form', 'steepest-rise').value).toBeCloseTo(f.runs[0].summary.VFORM, 5);
  });
});

describe.runIf(hasReferenceData)(`real data through neuroprobe import ${NEEDS_REFERENCE_DATA}`, () => {
  it('imports 4200A workbooks as I-V and forming runs with the same numbers as the analysis above', async () => {
    const app = openApp();
    const set = await app.importFile(referenceFile('arrayan_H16248L_B12_03_endurance_set.xlsx'), { as: 'iv', readVoltageV: 0.2, complianceA: 5e-4 });
    expect(value(set.card.metrics, 'iv.v_set', 'steepest-rise').value).toBeCloseTo(1.275, 3);
    expect(value(set.card.metrics, 'iv.r_on').value).toBeCloseTo(3616, -1);
    // A file of RESET sweeps alone: its sweeps are the other polarity from SET.
    const reset = await app.importFile(referenceFile('arrayan_H16248L_B12_03_endurance_reset.xlsx'), { as: 'iv', readVoltageV: 0.2, complianceA: 5e-4, setPolarity: 'negative' });
    expect(value(reset.card.metrics, 'iv.v_reset').value).toBeCloseTo(1.03, 2);
    expect(value(reset.card.metrics, 'iv.r_off').value).toBeGreaterThan(1e5);
    const forming = await app.importFile(referenceFile('arrayan_H16248L_B12_01_Electroforming.xlsx'), { as: 'forming' });
    expect(forming.notes).toContain('compliance 0.0005 A from the Settings sheet');
    expect(value(forming.card.metrics, 'forming.v_form').value).toBeCloseTo(2.03, 5);
    await expect(app.importFile(referenceFile('arrayan_H16248L_B12_01_Electroforming.xlsx'), { as: 'forming' })).rejects.toThrow(/already stored as run 3 \(same SHA-256\)/);
  });
});
