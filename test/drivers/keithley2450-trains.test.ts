import { describe, expect, it } from 'vitest';
import { createDriver, openTransport } from '../../drivers/connect.ts';
import type { SourceMeter } from '../../drivers/instruments/roles.ts';
import type { TrainProgram } from '../../drivers/instruments/waveform.ts';
import { SimBench } from '../../drivers/sim/bench.ts';

const read = { levelV: 0.1, durationS: 1e-3, measure: true };
const ltp: TrainProgram = { prologue: [read], unit: [{ levelV: 2, durationS: 1e-3 }, read], repeat: 20, limitA: 1e-3, nplc: 0.01 };
const ltd: TrainProgram = { ...ltp, unit: [{ levelV: -2, durationS: 1e-3 }, read] };

async function driver(bench: SimBench): Promise<SourceMeter> {
  const smu = createDriver('keithley2450', await openTransport('SIM::keithley2450', { sim: bench })) as SourceMeter;
  await smu.identify();
  await smu.reset();
  return smu;
}

const created = (bench: SimBench) => bench.smu.received.filter((m) => m.startsWith(':SOUR:CONF:LIST:CRE'));

describe('Keithley 2450 trains: what stays on the instrument between trains', () => {
  it('alternating LTP and LTD trains create each configuration list once, then only rewrite the trigger model', async () => {
    const bench = new SimBench({ seed: 2 });
    const smu = await driver(bench);
    const readings: number[][] = [];
    for (const p of [ltp, ltd, ltp, ltd]) readings.push((await smu.runTrain(p)).currentA);
    expect(created(bench)).toEqual([':SOUR:CONF:LIST:CRE "NPTRAIN1"', ':SOUR:CONF:LIST:CRE "NPTRAIN2"']);
    // The sense set-up went once; the trigger model every train.
    expect(bench.smu.received.filter((m) => m.startsWith(':SENS:CURR:NPLC'))).toEqual([':SENS:CURR:NPLC 0.01']);
    expect(bench.smu.received.filter((m) => m === ':TRIG:LOAD "Empty"').length).toBe(4);
    // The device really was potentiated then depressed each time (the recalled lists hold the right levels).
    for (const [k, r] of readings.entries()) {
      const rising = r[r.length - 1] > r[0];
      expect(rising, `train ${k + 1}`).toBe(k % 2 === 0);
    }
  });

  it('a changed NPLC or current limit is sent again; a reset forgets the lists', async () => {
    const bench = new SimBench({ seed: 2 });
    const smu = await driver(bench);
    await smu.runTrain(ltp);
    await smu.runTrain({ ...ltp, nplc: 0.1 });
    await smu.runTrain({ ...ltp, nplc: 0.1, limitA: 2e-3 });
    expect(bench.smu.received.filter((m) => m.startsWith(':SENS:CURR:NPLC'))).toEqual([':SENS:CURR:NPLC 0.01', ':SENS:CURR:NPLC 0.1']);
    expect(bench.smu.received.filter((m) => m.startsWith(':SOUR:VOLT:ILIM'))).toEqual([':SOUR:VOLT:ILIM 0.001', ':SOUR:VOLT:ILIM 0.002']);
    expect(created(bench).length).toBe(2);
    await smu.reset();
    await smu.runTrain(ltp);
    expect(created(bench).length).toBe(3);
    expect(bench.smu.pendingErrors).toEqual([]);
  });

  it('an instrument error while configuring makes the next train send everything again', async () => {
    const bench = new SimBench({ seed: 2 });
    const smu = await driver(bench);
    await smu.runTrain(ltp);
    bench.smu.handleMessage(':SOUR:CONF:LIST:DEL "NPTRAIN1"'); // someone deletes the list behind the driver's back
    await expect(smu.runTrain(ltp)).rejects.toThrow(/reported (an error|\d+ errors) while configuring the pulse train: -?\d+,"/);
    const r = await smu.runTrain(ltp);
    expect(r.currentA.length).toBe(21);
    expect(created(bench).length).toBe(2);
  });
});
