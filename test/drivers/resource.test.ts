import { describe, expect, it } from 'vitest';
import { parseResource } from '../../drivers/transport/resource.ts';

describe('VISA resource strings', () => {
  it('parses the supported forms into typed descriptors', () => {
    expect(parseResource('TCPIP0::192.168.0.5::5025::SOCKET')).toEqual({ kind: 'tcp-socket', board: 0, host: '192.168.0.5', port: 5025 });
    expect(parseResource('tcpip::localhost::5026::socket')).toEqual({ kind: 'tcp-socket', board: 0, host: 'localhost', port: 5026 });
    expect(parseResource('TCPIP0::10.0.0.7::inst0::INSTR')).toEqual({ kind: 'vxi11', board: 0, host: '10.0.0.7', device: 'inst0' });
    expect(parseResource('TCPIP::10.0.0.7::INSTR')).toEqual({ kind: 'vxi11', board: 0, host: '10.0.0.7', device: 'inst0' });
    expect(parseResource('ASRL/dev/ttyUSB0::INSTR')).toEqual({ kind: 'serial', path: '/dev/ttyUSB0' });
    expect(parseResource('GPIB0::24::INSTR')).toEqual({ kind: 'gpib', board: 0, address: 24 });
    expect(parseResource('GPIB1::5::3::INSTR')).toEqual({ kind: 'gpib', board: 1, address: 5, secondary: 3 });
    expect(parseResource('SIM::keithley2450')).toEqual({ kind: 'sim', model: 'keithley2450' });
    expect(parseResource('sim::Keysight33500B')).toEqual({ kind: 'sim', model: 'keysight33500b' });
  });

  it('names the field and the expectation when a string is wrong', () => {
    expect(() => parseResource('')).toThrow(/empty/);
    expect(() => parseResource('TCPIP0::host::99999::SOCKET')).toThrow(/port "99999" is not in 1..65535/);
    expect(() => parseResource('TCPIP0::host::abc::SOCKET')).toThrow(/port "abc"/);
    expect(() => parseResource('GPIB0::31::INSTR')).toThrow(/primary address "31"/);
    expect(() => parseResource('SIM::keithley2410')).toThrow(/unknown simulated model "keithley2410"; available: SIM::keithley2450, SIM::keithley2400/);
    expect(() => parseResource('PXI0::14::INSTR')).toThrow(/unknown interface "PXI0"/);
    expect(() => parseResource('TCPIP0::host::5025::RAW')).toThrow(/"RAW" is not SOCKET or INSTR/);
  });
});
