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

// The oscilloscope's WORD waveform as a definite-length block, read by PyVISA's own block parser.
const SCOPE_SCRIPT = `
import sys, pyvisa
rm = pyvisa.ResourceManager('@py')
s = rm.open_resource(sys.argv[1], read_termination='\\n', write_termination='\\n', timeout=3000)
print(s.query('*IDN?').strip())
s.write(':WAV:SOUR CHAN1;:WAV:FORM WORD;:WAV:BYT LSBF;:WAV:UNS 1')
pre = [float(x) for x in s.query(':WAV:PRE?').split(',')]
codes = s.query_binary_values(':WAV:DATA?', datatype='H', is_big_endian=False, container=list)
volts = [(c - pre[9]) * pre[7] + pre[8] for c in codes]
print(len(codes), int(pre[2]))
print(sum(volts[-100:]) / 100)
print(s.query(':SYST:ERR?').strip())
s.close()
`;

describe('PyVISA (pyvisa-py) client against the simulated oscilloscope', () => {
  it('reads a captured waveform with query_binary_values: the block header, WORD codes and preamble scaling agree', async () => {
    const bench = new SimBench({ seed: 3, scope: { voltageChannel: 1, currentChannel: 2, voltsPerAmpere: 1e4 } });
    const scope = bench.scope;
    for (const cmd of [':TIM:REF LEFT', ':TIM:SCAL 1e-4', ':TIM:POS 0', ':CHAN1:SCAL 0.25', ':CHAN1:OFFS 0.75', ':TRIG:EDGE:SOUR EXT', ':WAV:POIN 500', ':SING']) scope.handleMessage(cmd);
    // The SMU holds 1.2 V on the device; its digital line fires the trigger; 1 ms of bench time fills the record.
    for (const cmd of [':SOUR:FUNC VOLT', ':SOUR:VOLT 1.2', ':SOUR:VOLT:ILIM 1e-3', ':OUTP ON']) bench.smu.handleMessage(cmd);
    bench.smuDigitalOut(1);
    bench.advance(1e-3);
    expect(scope.isRunning).toBe(false);
    const server = await serveInstrument(scope, 0);
    try {
      const { stdout } = await run('/usr/bin/python3', ['-c', SCOPE_SCRIPT, `TCPIP0::127.0.0.1::${server.port}::SOCKET`], { timeout: 30_000 });
      const [idn, counts, mean, err] = stdout.trim().split('\n');
      expect(idn).toMatch(/^KEYSIGHT TECHNOLOGIES,DSOX3024T,NPSIM/);
      expect(counts).toBe('500 500');
      // 8-bit resolution on a 2 V screen: within two codes of 1.2 V.
      expect(Math.abs(Number(mean) - 1.2)).toBeLessThan(2 * (8 * 0.25) / 256);
      expect(err).toBe('0,"No error"');
    } finally {
      await server.close();
    }
  });
});
