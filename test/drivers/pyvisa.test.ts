import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimBench } from '../../drivers/sim/bench.ts';
import { type SimServer, serveInstrument } from '../../drivers/sim/tcp-server.ts';

const run = promisify(execFile);

// A real VISA client (PyVISA with the pyvisa-py backend, Debian's python3-pyvisa-py)
// talking to the simulated 2450 over loopback TCP.
const SCRIPT = `
import sys, pyvisa
rm = pyvisa.ResourceManager('@py')
smu = rm.open_resource(sys.argv[1], read_termination='\\n', write_termination='\\n', timeout=3000)
print(smu.query('*IDN?'))
smu.write('*RST')
smu.write(':SOUR:FUNC VOLT;:SOUR:VOLT 0.2;:SOUR:VOLT:ILIM 1e-3')
smu.write(':SENS:FUNC "CURR";:OUTP ON')
print(smu.query(':SOUR:VOLT?'))
print(smu.query(':MEAS:CURR?'))
smu.write(':OUTP OFF')
print(smu.query(':SYST:ERR?'))
smu.close()
`;

describe('PyVISA (pyvisa-py) client against the TCP simulator', () => {
  let bench: SimBench;
  let server: SimServer;
  beforeAll(async () => {
    bench = new SimBench({ seed: 21, device: { readNoiseSigma: 0 } });
    server = await serveInstrument(bench.smu, 0);
  });
  afterAll(() => server.close());

  it('asks *IDN?, sets a voltage and reads a current', async () => {
    const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, `TCPIP0::127.0.0.1::${server.port}::SOCKET`], { timeout: 30_000 });
    const [idn, level, current, err] = stdout.trim().split('\n');
    expect(idn).toMatch(/^KEITHLEY INSTRUMENTS,MODEL 2450,/);
    expect(Number(level)).toBe(0.2);
    expect(Number(current)).toBeCloseTo(0.2 * bench.dut.conductanceS, 15);
    expect(err).toBe('0,"No error"');
    expect(bench.smu.isOutputOn).toBe(false);
  });
});
