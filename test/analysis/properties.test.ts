// Property tests: no metric function throws or returns a non-finite number on any input
// (empty, constant, NaN/Infinity, negative or zero conductance, one point, huge arrays);
// every result is a finite value or "missing" with a reason.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnduranceAccumulator } from '../../analysis/endurance.ts';
import { readEnergy, writeEnergy } from '../../analysis/energy.ts';
import { analyseLtpLtd } from '../../analysis/ltp-ltd.ts';
import type { Metric } from '../../analysis/metric.ts';
import { analysePolarization } from '../../analysis/polarization.ts';
import { analysePpf } from '../../analysis/ppf.ts';
import { analyseRetention } from '../../analysis/retention.ts';
import { analyseStdp } from '../../analysis/stdp.ts';
import { deviceToDevice } from '../../analysis/variation.ts';

const anyNumber = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e-3, max: 1e-3, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e300, -1e300, 5e-324) },
  { weight: 2, arbitrary: fc.double({ noNaN: false }) },
);
const series = (max = 60) => fc.oneof(fc.array(anyNumber, { maxLength: max }), fc.array(fc.constant(3e-6), { maxLength: max }), fc.constant([] as number[]));

function wellFormed(ms: Metric[]): void {
  expect(ms.length).toBeGreaterThan(0);
  for (const m of ms) {
    if (m.status === 'value') {
      expect(Number.isFinite(m.value), `${m.id} value ${m.value}`).toBe(true);
      if (m.stderr !== undefined) expect(Number.isFinite(m.stderr), `${m.id} stderr`).toBe(true);
    } else {
      expect(m.status).toBe('missing');
      expect(m.reason.length, m.id).toBeGreaterThan(0);
    }
  }
}

describe('metric functions on arbitrary input', () => {
  it('LTP/LTD', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ ltp: series(), ltd: series() }), { maxLength: 4 }), (cycles) => {
        wellFormed(analyseLtpLtd({ cycles, unit: 'S', conditions: {} }));
      }),
      { numRuns: 150 },
    );
  });

  it('STDP', () => {
    fc.assert(
      fc.property(series(30), series(30), (dt, dw) => wellFormed(analyseStdp({ dtS: dt, dwPercent: dw, conditions: {} }))),
      { numRuns: 40 },
    );
  });

  it('PPF', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ intervalS: anyNumber, a1: anyNumber, a2: anyNumber }), { maxLength: 20 }), (pairs) => wellFormed(analysePpf(pairs, {}))),
      { numRuns: 60 },
    );
  });

  it('retention', () => {
    fc.assert(
      fc.property(series(30), series(30), anyNumber, (t, g, before) => wellFormed(analyseRetention({ tS: t, g, gBefore: before, unit: 'S', conditions: {} }))),
      { numRuns: 40 },
    );
  });

  it('polarization', () => {
    fc.assert(
      fc.property(series(40), series(40), anyNumber, (angles, light, dark) => wellFormed(analysePolarization({ angleDeg: angles.map((a) => a * 1e6), lightA: light, darkA: dark, conditions: {} }))),
      { numRuns: 150 },
    );
  });

  it('energy', () => {
    fc.assert(
      fc.property(series(40), series(40), series(40), anyNumber, anyNumber, (t, vv, ii, a, b) => {
        wellFormed([writeEnergy({ tS: t, voltageV: vv, currentA: ii, pulse: [a, b], baseline: [a, b], terminal: 'gate', conditions: {} })]);
        wellFormed([readEnergy({ tS: t, currentA: ii, readVoltageV: a, window: [a, b], conditions: {} })]);
      }),
      { numRuns: 200 },
    );
  });

  it('endurance and D2D', () => {
    fc.assert(
      fc.property(series(), series(), (h, l) => {
        const acc = new EnduranceAccumulator();
        acc.pushMany(h, l);
        wellFormed(acc.metrics({}));
        wellFormed([deviceToDevice('x', h.map((value, i) => ({ device: String(i), value })), {})]);
      }),
      { numRuns: 200 },
    );
  });

  it('a huge LTP/LTD record (2 × 10⁵ reads) is analysed', () => {
    const n = 100_000;
    const ramp = Array.from({ length: n + 1 }, (_, k) => 1e-5 + 9e-5 * Math.sqrt(k / n));
    wellFormed(analyseLtpLtd({ cycles: [{ ltp: ramp, ltd: [...ramp].reverse() }], unit: 'S', conditions: {} }));
  });
});
