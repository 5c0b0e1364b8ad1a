import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { SerialTransport } from '../../drivers/transport/serial.ts';
import { parseStation } from '../../protocols/station.ts';
import { useTempDir } from '../helpers/temp.ts';

const tempDir = useTempDir();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A pseudo-terminal whose other end is the simulated 2450 (socat bridges the pty to its TCP port). */
async function simulatedSerialPort(sim: SimBench): Promise<string> {
  const server = await serveInstrument(sim.smu, 0);
  cleanups.push(() => server.close());
  const link = join(tempDir(), 'ttySIM');
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${server.port}`], { stdio: 'ignore' });
  cleanups.push(() => void socat.kill());
  for (let i = 0; i < 100 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(link)) throw new Error('socat did not create the pseudo-terminal');
  return link;
}

describe('serial transport over a pseudo-terminal', () => {
  it('queries the simulated 2450 and times out cleanly', async () => {
    const path = await simulatedSerialPort(new SimBench({ seed: 41 }));
    const t = await SerialTransport.open(`ASRL${path}::INSTR`, { path, timeoutMs: 1000 });
    cleanups.push(() => t.close());
    expect(await t.query('*IDN?')).toMatch(/^KEITHLEY INSTRUMENTS,MODEL 2450,/);
    await t.write(':SOUR:VOLT 0.2');
    await expect(t.read(200)).rejects.toThrow(/ASRL.*ttySIM::INSTR did not answer within 200 ms/);
    expect(await t.query(':SOUR:VOLT?')).toBe('0.2');
  });

  it('runs LTP/LTD with the SMU on a serial resource', async () => {
    const sim = new SimBench({ seed: 42 });
    const path = await simulatedSerialPort(sim);
    const station = parseStation(
      {
        name: 'serial',
        instruments: [{ id: 'smu', model: 'keithley2450', resource: `ASRL${path}::INSTR`, role: 'source-meter', baudRate: 115200 }],
        wiring: { sourceMeter: 'smu' },
        limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-6 },
      },
      'test',
    );
    const app = new NeuroProbeApp(':memory:');
    cleanups.push(() => app.close());
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1 }, station, device: 'S1' });
    expect(r.outcome.status).toBe('completed');
    expect(app.run(r.runId!).samples).toBe(10 + 202); // read-noise reads, one cycle
    expect(sim.smu.isOutputOn).toBe(false);
  });

  it('names the port it cannot open', async () => {
    await expect(SerialTransport.open('ASRL/dev/nonexistent-tty::INSTR', { path: '/dev/nonexistent-tty' })).rejects.toThrow(/ASRL\/dev\/nonexistent-tty::INSTR: cannot open serial port \/dev\/nonexistent-tty/);
  });
});
