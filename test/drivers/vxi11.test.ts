// VXI-11 end to end: pyvisa-py (Debian's python3-pyvisa-py) finds the simulated
// instruments through the portmapper on 127.0.0.1:111 and talks to the core channel;
// a station whose SMU is `TCPIP0::127.0.0.1::inst0::INSTR` runs LTP/LTD through the
// PyVISA bridge. One file, run in order: the portmapper port is shared.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { serveVxi11 } from '../../drivers/sim/vxi11-server.ts';
import { parseStation, simulatedStation } from '../../protocols/station.ts';
import { exited, spawnCli, waitFor } from '../helpers/cli.ts';
import { useTempDir } from '../helpers/temp.ts';

const run = promisify(execFile);
const tempDir = useTempDir();

const SCRIPT = `
import sys, pyvisa
rm = pyvisa.ResourceManager('@py')
for name in sys.argv[1:]:
    i = rm.open_resource('TCPIP0::127.0.0.1::%s::INSTR' % name, timeout=3000)
    print(i.query('*IDN?').strip())
    i.write('*CLS')
    print(i.query(':SYST:ERR?').strip())
    i.close()
`;

describe.sequential('VXI-11 (portmapper + core channel) on the simulated bench', () => {
  it('pyvisa-py asks the portmapper, links to inst0..inst2 and queries each instrument', async () => {
    const bench = new SimBench({ seed: 1 });
    const server = await serveVxi11({ inst0: bench.smu, inst1: bench.generator, inst2: bench.scope });
    try {
      expect(server.portmapperPort).toBe(111);
      const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, 'inst0', 'inst1', 'inst2'], { timeout: 30_000 });
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^KEITHLEY INSTRUMENTS,MODEL 2450,NPSIM/);
      expect(lines[2]).toMatch(/^Keysight Technologies,33522B,NPSIM/);
      expect(lines[4]).toMatch(/^KEYSIGHT TECHNOLOGIES,DSOX3024T,NPSIM/);
      expect([lines[1], lines[3]]).toEqual(['0,"No error"', '+0,"No error"']);
      // An unknown device name is refused by the link, not answered by another instrument.
      await expect(run('/usr/bin/python3', ['-c', SCRIPT, 'inst7'], { timeout: 30_000 })).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('a station with the SMU at TCPIP0::127.0.0.1::inst0::INSTR runs LTP/LTD through the PyVISA bridge', async () => {
    const bench = new SimBench({ seed: 4 });
    const server = await serveVxi11({ inst0: bench.smu });
    const app = new NeuroProbeApp(':memory:');
    try {
      const base = simulatedStation();
      const station = parseStation(
        { ...base, instruments: [{ id: 'smu', model: 'keithley2450', resource: 'TCPIP0::127.0.0.1::inst0::INSTR', role: 'source-meter', timeoutMs: 5000 }], wiring: { sourceMeter: 'smu' }, simulation: undefined },
        'test',
      );
      const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1, pulsesPerTrain: 20, readRepeats: 0 }, station, device: 'VX1' });
      expect(r.outcome.status).toBe('completed');
      expect(app.run(r.runId!).samples).toBe(2 * 21);
      expect(r.outcome.instruments[0]).toMatchObject({ resource: 'TCPIP0::127.0.0.1::inst0::INSTR', simulated: true });
      expect(bench.smu.received.filter((m) => m === ':INIT').length).toBe(2);
      expect(bench.smu.isOutputOn).toBe(false);
    } finally {
      app.close();
      await server.close();
    }
  }, 60_000);

  it('neuroprobe sim --vxi11 names the VXI-11 resource of each SCPI instrument', async () => {
    const child = spawnCli(['sim', '--port', '0', '--json', '--vxi11'], tempDir());
    try {
      const ready = JSON.parse((await waitFor(child, 'stdout', /"ready":true.*\n/)).split('\n')[0]) as { instruments: { model: string; vxi11?: string }[] };
      expect(ready.instruments.filter((i) => i.vxi11).map((i) => [i.model, i.vxi11])).toEqual([
        ['keithley2450', 'TCPIP0::127.0.0.1::inst0::INSTR'],
        ['keysight33500b', 'TCPIP0::127.0.0.1::inst1::INSTR'],
        ['keysight-infiniivision', 'TCPIP0::127.0.0.1::inst2::INSTR'],
      ]);
      const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, 'inst0'], { timeout: 30_000 });
      expect(stdout).toMatch(/^KEITHLEY INSTRUMENTS,MODEL 2450,/);
    } finally {
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    }
  }, 60_000);
});
