import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConexAgpStage } from '../../drivers/instruments/stage/conex-agp.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { SimConexAgp } from '../../drivers/sim/conex-agp.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { LoopbackTransport } from '../../drivers/transport/loopback.ts';
import { SerialTransport } from '../../drivers/transport/serial.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { useTempDir } from '../helpers/temp.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

const tempDir = useTempDir();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('Newport CONEX-AGP driver against the simulated controller', () => {
  it('identifies, homes, moves taking out backlash, reads back, and refuses angles beyond its travel before sending', async () => {
    const sim = new SimConexAgp();
    const stage = new ConexAgpStage(new LoopbackTransport('SIM::newport-conex-agp', sim), { limits: { minDeg: 0, maxDeg: 180 } });
    expect(await stage.identify()).toMatch(/^Newport,CONEX-AGP,AG-PR100P_/);
    // Not referenced after power-up: a move is refused by the controller, and the driver says why.
    await expect(stage.moveTo(10)).rejects.toThrow(/not referenced \(state 0A, error H\); home it first/);
    await stage.reset();
    expect(await stage.moveTo(45)).toBeCloseTo(45, 6);
    const before = sim.received.length;
    expect(await stage.moveTo(30)).toBeCloseTo(30, 6);
    expect(sim.received.slice(before).filter((m) => m.startsWith('01PA'))).toEqual(['01PA29', '01PA30']);
    const n = sim.received.length;
    await expect(stage.moveTo(181)).rejects.toThrow(/angle 181° is outside the stage's allowed travel 0…180°/);
    expect(sim.received.length).toBe(n);
    await stage.safeOff();
    expect(sim.received.at(-2)).toBe('01ST');
  });

  it('talks over a pseudo-terminal (921600 8N1, XON/XOFF) as a USB-serial controller would appear', async () => {
    const sim = new SimConexAgp();
    const crlf = (x: string) => {
      const parts = x.split('\n');
      return { commands: parts.slice(0, -1).map((l) => l.replace(/\r$/, '')), rest: parts[parts.length - 1] };
    };
    const server = await serveInstrument(sim, 0, '127.0.0.1', { split: crlf, replyTerminator: '\r\n' });
    cleanups.push(() => server.close());
    const link = join(tempDir(), 'ttyCONEX');
    const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${server.port}`], { stdio: 'ignore' });
    cleanups.push(() => void socat.kill());
    for (let i = 0; i < 100 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 20));
    const t = await SerialTransport.open(`ASRL${link}::INSTR`, { path: link, baudRate: 921600, xonxoff: true, terminator: '\r\n', timeoutMs: 2000 });
    const stage = new ConexAgpStage(t);
    await stage.identify();
    await stage.reset();
    expect(await stage.moveTo(123.456)).toBeCloseTo(123.456, 6);
    await t.close();
  });

  it('a polarization run with the CONEX-AGP holding the polarizer recovers the device axis', async () => {
    const base = simulatedStation();
    const station = { ...base, instruments: base.instruments.map((i) => (i.id === 'stage' ? { ...i, model: 'newport-conex-agp' as const, resource: 'SIM::newport-conex-agp' } : i)) };
    const sim = new SimBench(simBenchConfig(station));
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'polarization', params: {}, station, device: 'C1', sim });
    expect(r.outcome.status).toBe('completed');
    const phase = r.outcome.metrics.find((m) => m.id === 'polarization.phase' && !m.qualifier)!;
    expect(phase.status === 'value' && Math.abs(phase.value - 30)).toBeLessThan(3);
    expect(sim.conex.received).toContain('01OR');
    expect(r.outcome.instruments.find((i) => i.role === 'rotation-stage')!.settings).toMatchObject({ id: 'AG-PR100P_NPSIM_01' });
  });
});
