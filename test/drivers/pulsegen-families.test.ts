import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Metric } from '../../analysis/metric.ts';
import { nlLabelFromA } from '../../analysis/exp-model.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { type Station, simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

const run = promisify(execFile);

function value(ms: Metric[], id: string, qualifier?: string): number {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier && x.convention !== 'magnitude');
  if (!m || m.status !== 'value') throw new Error(`${id}: ${m?.status === 'missing' ? m.reason : 'absent'}`);
  return m.value;
}

function stationWith(model: 'tektronix-afg31000' | 'keysight-81160a'): Station {
  const s = simulatedStation();
  return { ...s, instruments: s.instruments.map((i) => (i.id === 'awg' ? { ...i, model, resource: `SIM::${model}` } : i)) };
}

const GOLDEN: Record<string, string[]> = {
  // What each family is sent to arm one 1 ms, 1.5 V pulse per external trigger on channel 1.
  'tektronix-afg31000': ['OUTPut1:STATe OFF', 'SOURce1:FUNCtion:SHAPe PULSe', 'OUTPut1:IMPedance INFinity', 'SOURce1:PULSe:PERiod 0.02', 'SOURce1:PULSe:WIDTh 0.001', 'SOURce1:VOLTage:LEVel:IMMediate:HIGH 1.5', 'SOURce1:VOLTage:LEVel:IMMediate:LOW 0', 'OUTPut1:POLarity NORMal', 'SOURce1:BURSt:MODE TRIGgered', 'SOURce1:BURSt:NCYCles 1', 'SOURce1:BURSt:STATe ON', 'TRIGger:SEQuence:SOURce EXTernal', 'OUTPut1:STATe ON'],
  'keysight-81160a': [':OUTP1 OFF', ':FUNC1 PULS', ':OUTP1:LOAD INF', ':PULS:PER1 0.02', ':PULS:WIDT1 0.001', ':VOLT1:HIGH 1.5', ':VOLT1:LOW 0', ':OUTP1:POL NORM', ':BURS1:MODE TRIG', ':BURS1:NCYC 1', ':BURS1:STAT ON', ':ARM:SOUR1 EXT1', ':OUTP1 ON'],
};

describe.each(['tektronix-afg31000', 'keysight-81160a'] as const)('%s as the pulse generator', (model) => {
  it('plays LTP/LTD pulses fired by the SMU, with the family’s own commands, and recovers the device’s NL', async () => {
    const station = stationWith(model);
    const sim = new SimBench(simBenchConfig(station));
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 3, pulseSource: 'generator' }, station, device: 'G1', sim });
    expect(r.outcome.status).toBe('completed');
    const received = sim.generator.received;
    const start = received.indexOf(GOLDEN[model][0]);
    expect(received.slice(start, start + GOLDEN[model].length)).toEqual(GOLDEN[model]);
    expect(sim.generator.pendingErrors).toEqual([]);
    // The same device as with the 33522B: NL within 0.3 of the configured label.
    expect(Math.abs(value(r.outcome.metrics, 'nl.lsq3', 'ltp') - nlLabelFromA(sim.dut.params.aLtp))).toBeLessThan(0.3);
    expect(sim.generator.isOutputOn(1)).toBe(false);
    expect(r.outcome.instruments.find((i) => i.role === 'pulse-generator')!.idn).toMatch(model === 'keysight-81160a' ? /81160A/ : /AFG31252/);
  });

  it('a PyVISA client talks to the simulated generator over TCP', async () => {
    const sim = new SimBench(simBenchConfig(stationWith(model)));
    const server = await serveInstrument(sim.generator, 0);
    try {
      const script = `import sys, pyvisa\nrm = pyvisa.ResourceManager('@py')\ni = rm.open_resource(sys.argv[1], read_termination='\\n', write_termination='\\n', timeout=3000)\nprint(i.query('*IDN?').strip())\nprint(i.query('SYST:ERR?').strip())`;
      const { stdout } = await run('/usr/bin/python3', ['-c', script, `TCPIP0::127.0.0.1::${server.port}::SOCKET`], { timeout: 30_000 });
      const [idn, err] = stdout.trim().split('\n');
      expect(idn).toMatch(model === 'keysight-81160a' ? /^Agilent Technologies,81160A,NPSIM/ : /^TEKTRONIX,AFG31252,NPSIM/);
      expect(err).toBe('0,"No error"');
    } finally {
      await server.close();
    }
  });
});
