import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimBench } from '../../drivers/sim/bench.ts';
import { type SimServer, serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { PyVisaBridgeTransport } from '../../drivers/transport/pyvisa-bridge.ts';
import { parseResource } from '../../drivers/transport/resource.ts';
import { parseStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

describe('PyVISA bridge transport (Python child process, pyvisa-py backend)', () => {
  let sim: SimBench;
  let server: SimServer;
  let resource: string;
  beforeAll(async () => {
    sim = new SimBench({ seed: 31 });
    server = await serveInstrument(sim.smu, 0);
    resource = `TCPIP0::127.0.0.1::${server.port}::SOCKET`;
  });
  afterAll(() => server.close());

  it('writes, reads and times out like any transport', async () => {
    const t = await PyVisaBridgeTransport.open(resource, { timeoutMs: 500 });
    try {
      expect(await t.query('*IDN?')).toMatch(/^KEITHLEY INSTRUMENTS,MODEL 2450,/);
      await t.write(':SOUR:VOLT 0.3');
      expect(await t.query(':SOUR:VOLT?')).toBe('0.3');
      await expect(t.read(300)).rejects.toThrow(new RegExp(`${resource.replace(/[.:]/g, '\\$&')} did not answer within 300 ms`));
      expect(await t.query('*OPC?')).toBe('1'); // still usable after a timeout
    } finally {
      await t.close();
    }
  });

  it('runs LTP/LTD end to end through PyVISA when the station asks for it', async () => {
    const station = parseStation(
      {
        name: 'through pyvisa',
        instruments: [{ id: 'smu', model: 'keithley2450', resource, role: 'source-meter', transport: 'pyvisa', timeoutMs: 3000 }],
        wiring: { sourceMeter: 'smu' },
        limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-6 },
      },
      'test',
    );
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station, device: 'V1' });
    expect(r.outcome.status).toBe('completed');
    const dr = r.outcome.metrics.find((m) => m.id === 'dr.ratio' && m.qualifier === 'ltp')!;
    expect(dr.status === 'value' && dr.value).toBeGreaterThan(5);
    expect(sim.smu.isOutputOn).toBe(false);
  });

  it('says clearly when Python cannot be started', async () => {
    await expect(PyVisaBridgeTransport.open(resource, { python: '/nonexistent/python3' })).rejects.toThrow(/PyVISA bridge could not start \(spawn \/nonexistent\/python3 ENOENT\)/);
  });

  it('USB and GPIB resources parse for the bridge', () => {
    expect(parseResource('USB0::0x05E6::0x2450::04610529::0::INSTR')).toEqual({ kind: 'usb', board: 0, vendorId: 0x05e6, productId: 0x2450, serial: '04610529' });
    expect(() => parseResource('USB0::0x05E6::xyz::1::INSTR')).toThrow(/product id "xyz" is not a 16-bit number/);
  });
});
