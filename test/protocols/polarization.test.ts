import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { SafetyError } from '../../protocols/runner.ts';
import { type Station, simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

function value(ms: Metric[], id: string, qualifier?: string): number {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier);
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m.value;
}

function bench(station: Station = simulatedStation()) {
  return { station, sim: new SimBench(simBenchConfig(station)) };
}

describe('polarization protocol: stage, gated light and source-meter together', () => {
  it('recovers the device’s polarization ratio and axis from the photocurrent and from ΔG', async () => {
    const app = openApp();
    const { station, sim } = bench();
    const dut = sim.dut.params;
    const r = await app.runProtocol({ protocolId: 'polarization', params: {}, station, device: 'P1', sim });
    expect(r.outcome.status).toBe('completed');
    const ms = r.outcome.metrics;
    const truePr = dut.photoCurrentMaxA / dut.photoCurrentMinA;
    expect(truePr).toBe(4);
    // Within 10 % and 3°, from 19 angles with 0.1 % read noise on a 1 µA read.
    expect(value(ms, 'polarization.ratio') / truePr).toBeGreaterThan(0.9);
    expect(value(ms, 'polarization.ratio') / truePr).toBeLessThan(1.1);
    expect(Math.abs(value(ms, 'polarization.phase') - dut.polarizationAngleDeg)).toBeLessThan(3);
    // The light-induced weight change follows the same absorption: same axis, same ratio (noisier).
    expect(Math.abs(value(ms, 'polarization.phase', 'delta_g') - dut.polarizationAngleDeg)).toBeLessThan(8);
    expect(value(ms, 'polarization.ratio', 'delta_g') / truePr).toBeGreaterThan(0.7);
    expect(value(ms, 'polarization.ratio', 'delta_g') / truePr).toBeLessThan(1.3);
    // The calibration travels with every number.
    expect(ms[0].conditions).toMatchObject({ wavelength_nm: 532, optical_power_mW: 1, angles: 19 });
    // One stage move (with its read-back) and one SMU train per angle; the stage was homed first.
    expect(sim.stage.received.filter((m) => m.startsWith('0ma')).length).toBeGreaterThanOrEqual(19);
    expect(sim.stage.received[1]).toBe('0ho0');
    expect(sim.smu.received.filter((m) => m === ':INIT').length).toBe(19);
    expect(sim.generator.isOutputOn(2)).toBe(false);
  });

  it('refuses angles beyond the stage travel and light above the device limit before any instrument command', async () => {
    const app = openApp();
    const s = simulatedStation();
    const narrow = { ...s, wiring: { ...s.wiring, rotationStage: { ...s.wiring.rotationStage!, maxDeg: 90 } } };
    const a = bench(narrow);
    await expect(app.runProtocol({ protocolId: 'polarization', params: {}, station: narrow, device: 'P2', sim: a.sim })).rejects.toThrow(/angle 100° is outside the stage's allowed travel 0…90°/);
    const bright = { ...s, deviceLimits: { P3: { maxOpticalPowerMw: 0.5 } } };
    const b = bench(bright);
    await expect(app.runProtocol({ protocolId: 'polarization', params: {}, station: bright, device: 'P3', sim: b.sim })).rejects.toThrow(SafetyError);
    await expect(app.runProtocol({ protocolId: 'polarization', params: {}, station: bright, device: 'P3', sim: b.sim })).rejects.toThrow(/1 mW at the sample, above the device limit 0.5 mW/);
    for (const sim of [a.sim, b.sim]) {
      expect(sim.smu.received).toEqual([]);
      expect(sim.generator.received).toEqual([]);
      expect(sim.stage.received).toEqual([]);
    }
  });

  it('abort mid-sweep: source-meter at 0 V and off, light gate off, stage told to stop', async () => {
    const app = openApp();
    const { station, sim } = bench();
    const controller = new AbortController();
    let angles = 0;
    const r = await app.runProtocol({
      protocolId: 'polarization',
      params: {},
      station,
      device: 'P4',
      sim,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && ++angles === 4) controller.abort('test');
      },
    });
    expect(r.outcome.status).toBe('aborted');
    expect(sim.smu.isOutputOn).toBe(false);
    expect(sim.smu.sourceLevelV).toBe(0);
    expect(sim.generator.isOutputOn(1)).toBe(false);
    expect(sim.generator.isOutputOn(2)).toBe(false);
    expect(sim.stage.received.at(-1)).toBe('0st');
    expect(app.run(r.runId!).samples).toBe(4 * 3);
  });

  it('a station without a stage cannot run it, and says which wiring is missing', async () => {
    const app = openApp();
    const s = simulatedStation();
    const noStage = { ...s, instruments: s.instruments.filter((i) => i.id !== 'stage'), wiring: { ...s.wiring, rotationStage: undefined } };
    const r = app.runProtocol({ protocolId: 'polarization', params: {}, station: noStage, device: 'P5', sim: new SimBench(simBenchConfig(noStage)) });
    await expect(r).rejects.toThrow(/polarization needs a rotation stage holding a polarizer \(wiring.rotationStage\), but the station wires none/);
  });
});
