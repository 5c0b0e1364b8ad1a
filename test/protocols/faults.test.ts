import { afterEach, describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import type { Fault } from '../../drivers/sim/faults.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { parseStation, simulatedStation } from '../../protocols/station.ts';

const apps: NeuroProbeApp[] = [];
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

async function runWith(fault: Fault) {
  const app = new NeuroProbeApp(':memory:');
  apps.push(app);
  const station = simulatedStation();
  const sim = new SimBench({ ...station.simulation, faults: [fault] });
  // No read-noise train, so train n is cycle ⌈n/2⌉'s LTP or LTD train.
  const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 3, readRepeats: 0 }, station, device: 'F1', sim });
  return { r, sim, run: r.runId ? app.run(r.runId) : null };
}

describe('injected faults: the run fails with a clear reason and the outputs go safe', () => {
  it('an instrument that stops answering', async () => {
    const { r, sim, run } = await runWith({ instrument: 'keithley2450', kind: 'timeout', atTrain: 3 });
    expect(r.outcome.status).toBe('failed');
    expect(r.outcome.reason).toMatch(/Keithley 2450 at SIM::keithley2450 did not answer within 2 s/);
    // Safe-off was still sent, but could not be confirmed: the reason says so.
    expect(sim.smu.received.slice(-4)).toEqual([':ABOR', ':SOUR:VOLT 0', ':OUTP OFF', ':OUTP?']);
    expect(r.outcome.reason).toMatch(/WARNING: could not confirm Keithley 2450 at SIM::keithley2450 is off/);
    expect(run!.status).toBe('failed');
    expect(run!.samples).toBe(2 * 101);
  });

  it('a garbled reply', async () => {
    const { r } = await runWith({ instrument: 'keithley2450', kind: 'garble', atTrain: 2 });
    expect(r.outcome.status).toBe('failed');
    expect(r.outcome.reason).toMatch(/Keithley 2450 at SIM::keithley2450: reply to :TRIG:STAT\?;:TRAC:ACT\? "defbuffer1" is not a trigger state and a reading count: "¿#/);
  });

  it('an instrument error', async () => {
    const { r, sim } = await runWith({ instrument: 'keithley2450', kind: 'error', atTrain: 2 });
    expect(r.outcome.status).toBe('failed');
    expect(r.outcome.reason).toMatch(/reported an error .*-200,"Execution error; injected fault"/);
    expect(sim.smu.isOutputOn).toBe(false);
  });

  it('a device that shorts: reads at the current limit stop the run and are left out of the card', async () => {
    const { r, sim, run } = await runWith({ instrument: 'keithley2450', kind: 'short', atTrain: 4 });
    expect(r.outcome.status).toBe('failed');
    expect(r.outcome.reason).toMatch(/cycle 2 LTD: read 0: .* A at 0\.1 V reached the current limit 0\.001 A — the device may have shorted/);
    expect(sim.smu.isOutputOn).toBe(false);
    expect(sim.smu.sourceLevelV).toBe(0);
    expect(run!.samples).toBe(4 * 101); // the limited train is stored too: raw data is never dropped
    const cycles = r.outcome.metrics.find((m) => m.id === 'states.pulses')!.conditions.cycles;
    expect(cycles).toBe(1); // only the clean first cycle is analysed
  });

  it('a LAN instrument that drops the connection', async () => {
    const sim = new SimBench({ seed: 1, faults: [{ instrument: 'keithley2450', kind: 'disconnect', atTrain: 2 }] });
    const server = await serveInstrument(sim.instrument('keithley2450'), 0);
    try {
      const station = parseStation(
        {
          name: 'lan',
          instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }],
          wiring: { sourceMeter: 'smu' },
          limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-7 },
        },
        'test',
      );
      const app = new NeuroProbeApp(':memory:');
      apps.push(app);
      const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station, device: 'F2' });
      expect(r.outcome.status).toBe('failed');
      expect(r.outcome.reason).toMatch(/connection closed by the instrument/);
      expect(r.outcome.reason).toMatch(/WARNING: could not confirm .* is off/);
    } finally {
      await server.close();
    }
  });

  it('station files declare faults, validated like everything else', () => {
    const s = simulatedStation();
    expect(() => parseStation({ ...s, simulation: { ...s.simulation, faults: [{ instrument: 'keithley2450', kind: 'melt', atTrain: 1 }] } }, 'f')).toThrow(/simulation\.faults\.0\.kind/);
    expect(() => parseStation({ ...s, simulation: { ...s.simulation, faults: [{ instrument: 'keithley2450', kind: 'timeout' }] } }, 'f')).toThrow(/exactly one of afterMessages or atTrain/);
  });
});
