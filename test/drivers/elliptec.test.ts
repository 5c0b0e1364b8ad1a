// The Elliptec rotation stage: driver against the wire-level simulator in memory and
// through a real pseudo-terminal (socat), a Python client (pyserial) speaking Elliptec
// to the simulated stage, and the framer fuzzed with random and truncated input.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ElliptecStage, parseInfo } from '../../drivers/instruments/stage/elliptec.ts';
import { fromHex32, hex32, splitElliptec } from '../../drivers/instruments/stage/elliptec-protocol.ts';
import { SimElliptec } from '../../drivers/sim/elliptec.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { LoopbackTransport } from '../../drivers/transport/loopback.ts';
import { SerialTransport } from '../../drivers/transport/serial.ts';
import { useTempDir } from '../helpers/temp.ts';
import { readChannel } from '../../db/reader.ts';
import { parseStation, simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

const tempDir = useTempDir();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const ELLIPTEC_FRAMING = { split: (s: string) => splitElliptec(s), replyTerminator: '\r\n' };

async function simulatedStagePty(sim: SimElliptec): Promise<string> {
  const server = await serveInstrument(sim, 0, '127.0.0.1', ELLIPTEC_FRAMING);
  cleanups.push(() => server.close());
  const link = join(tempDir(), 'ttyELL');
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${server.port}`], { stdio: 'ignore' });
  cleanups.push(() => void socat.kill());
  for (let i = 0; i < 100 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(link)) throw new Error('socat did not create the pseudo-terminal');
  return link;
}

describe('Elliptec protocol', () => {
  it('32-bit hex numbers and the information reply', () => {
    expect(hex32(100)).toBe('00000064');
    expect(hex32(-100)).toBe('FFFFFF9C');
    expect(fromHex32('FFFFFF9C')).toBe(-100);
    // The layout as public drivers decode it: type 14, serial 12345678, 360° travel, 32768 pulses.
    expect(parseInfo('0IN0E1234567820230101016800008000', 'stage')).toMatchObject({ motorType: 14, serial: '12345678', travelDeg: 360, pulsesPerTravel: 32768 });
    expect(() => parseInfo('0GS09', 'stage')).toThrow(/"in" answered "0GS09", not an Elliptec information reply/);
  });

  it('the framer never throws or hangs on random, truncated or interleaved input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = splitElliptec(s);
        expect(r.rest.length).toBeLessThanOrEqual(11);
        for (const c of r.commands) expect(c.length === 3 || c.length === 4 || c.length === 11).toBe(true);
        return true;
      }),
      { numRuns: 2000 },
    );
    // Complete commands are cut out; a truncated one waits for its bytes.
    expect(splitElliptec('0gp0ma000000')).toEqual({ commands: ['0gp'], rest: '0ma000000', dropped: 0 });
    expect(splitElliptec('0ma00008C000in')).toEqual({ commands: ['0ma00008C00', '0in'], rest: '', dropped: 0 });
  });
});

describe('Elliptec stage driver on the simulator', () => {
  it('identifies, homes, moves with the angle read back, takes out backlash, and refuses angles outside its travel', async () => {
    const sim = new SimElliptec();
    const stage = new ElliptecStage(new LoopbackTransport('SIM::ell14', sim), { limits: { minDeg: 0, maxDeg: 180 } });
    expect(await stage.identify()).toBe('Thorlabs,ELL14,11400999,17');
    expect(stage.deviceInfo).toMatchObject({ travelDeg: 360, pulsesPerTravel: 143_360 });
    expect(await stage.home()).toBe(0);
    expect(await stage.moveTo(90)).toBeCloseTo(90, 2);
    expect(sim.angleDeg).toBeCloseTo(90, 2);
    sim.received.length = 0;
    expect(await stage.moveTo(45)).toBeCloseTo(45, 2);
    // Backwards: first 2° below the target, then up to it.
    const moves = sim.received.filter((m) => m.startsWith('0ma')).map((m) => (fromHex32(m.slice(3)) / 143_360) * 360);
    expect(moves.map((d) => Math.round(d * 100) / 100)).toEqual([43, 45]);
    sim.received.length = 0;
    await expect(stage.moveTo(200)).rejects.toThrow(/angle 200° is outside the stage's allowed travel 0…180°/);
    expect(sim.received).toEqual([]);
  });

  it('a move that never reports its end, or a stage that stops answering, fails with a clear message', async () => {
    const sim = new SimElliptec();
    const stage = new ElliptecStage(new LoopbackTransport('SIM::ell14', sim), { moveTimeoutMs: 300 });
    await stage.identify();
    await stage.home();
    sim.silentFor = /^0ma/; // stuck motor: the position still answers, the move never ends
    await expect(stage.moveTo(10)).rejects.toThrow(/the move to 10° did not report its end within 0\.3 s \(stuck or disconnected stage\)/);
    sim.silentFor = /./; // pulled cable
    await expect(stage.position()).rejects.toThrow(/did not answer/);
  });

  it('through a pseudo-terminal: the driver on a serial port, and a pyserial client', async () => {
    const sim = new SimElliptec();
    const path = await simulatedStagePty(sim);
    const t = await SerialTransport.open(`ASRL${path}::INSTR`, { path, terminator: '\r\n', writeTerminator: '', timeoutMs: 2000 });
    cleanups.push(() => t.close());
    const stage = new ElliptecStage(t);
    expect(await stage.identify()).toMatch(/^Thorlabs,ELL14,/);
    expect(await stage.moveTo(30)).toBeCloseTo(30, 2);
    await t.close();
    cleanups.pop();

    // A closed pty ends socat: the Python client gets a pseudo-terminal of its own.
    const path2 = await simulatedStagePty(sim);
    const py = `
import serial, sys
s = serial.Serial(sys.argv[1], 9600, timeout=2)
s.write(b'0in'); info = s.readline().decode().strip()
s.write(b'0ma' + ('%08X' % 35840).encode()); moved = s.readline().decode().strip()
s.write(b'0gs'); status = s.readline().decode().strip()
print(info); print(moved); print(status)`;
    // Asynchronously: the simulator answers from this process's event loop.
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', py, path2], { encoding: 'utf8', timeout: 20_000 });
    const out = stdout.trim().split('\n');
    expect(out[0]).toMatch(/^0IN0E11400999/);
    expect(out[1]).toBe('0PO00008C00');
    expect(out[2]).toBe('0GS00');
    expect(sim.angleDeg).toBeCloseTo(90, 6);
  });
});

describe('neuroprobe sim exposes the stage', () => {
  it('prints a readiness line with every instrument; the stage answers on its socket and its pseudo-terminal', async () => {
    const { spawnCli, waitFor, exited } = await import('../helpers/cli.ts');
    const child = spawnCli(['sim', '--port', '0', '--json', '--pty'], tempDir());
    cleanups.push(() => void child.kill('SIGTERM'));
    const line = (await waitFor(child, 'stdout', /"ready":true.*\n/)).split('\n')[0];
    const ready = JSON.parse(line) as { instruments: { model: string; resource: string; pty?: string }[] };
    expect(ready.instruments.map((i) => i.model)).toEqual(['keithley2450', 'keysight33500b', 'keysight-infiniivision', 'thorlabs-ell14', 'thorlabs-k10cr1', 'newport-conex-agp']);
    const stage = ready.instruments[3];
    const port = Number(/::(\d+)::SOCKET$/.exec(stage.resource)![1]);
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.createConnection({ host: '127.0.0.1', port }, () => sock.write('0in'));
      let got = '';
      sock.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n')) {
          sock.end();
          resolve(got.trim());
        }
      });
      sock.on('error', reject);
    });
    expect(reply).toMatch(/^0IN0E/);
    const t = await SerialTransport.open(`ASRL${stage.pty}::INSTR`, { path: stage.pty!, terminator: '\r\n', writeTerminator: '', timeoutMs: 2000 });
    const s = new ElliptecStage(t);
    expect(await s.identify()).toMatch(/^Thorlabs,ELL14,/);
    expect(await s.moveTo(12.5)).toBeCloseTo(12.5, 2);
    await t.close();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 60_000);

  it('polarization and energy runs over the real transports: source-meter, generator and scope on TCP, the stage on the pseudo-terminal', async () => {
    const { spawnCli, waitFor, exited } = await import('../helpers/cli.ts');
    const child = spawnCli(['sim', '--port', '0', '--json', '--pty'], tempDir());
    cleanups.push(() => void child.kill('SIGTERM'));
    const ready = JSON.parse((await waitFor(child, 'stdout', /"ready":true.*\n/)).split('\n')[0]) as { instruments: { model: string; resource: string; serial?: string }[] };
    const [smu, awg, scope, stage] = ready.instruments;
    const base = simulatedStation();
    const station = parseStation(
      {
        ...base,
        name: 'loopback TCP + pty',
        simulation: undefined,
        instruments: [
          { id: 'scope', model: 'keysight-infiniivision', resource: scope.resource, role: 'oscilloscope' },
          { id: 'smu', model: 'keithley2450', resource: smu.resource, role: 'source-meter' },
          { id: 'awg', model: 'keysight33500b', resource: awg.resource, role: 'pulse-generator' },
          { id: 'stage', model: 'thorlabs-ell14', resource: stage.serial!, role: 'rotation-stage', baudRate: 9600 },
        ],
      },
      'test',
    );
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'polarization', params: { angleStepDeg: 30 }, station, device: 'PTY1' });
    expect(r.outcome.status).toBe('completed');
    // The angles stored are the stage's read-backs over the serial line.
    expect([...new Set(readChannel(app.db, r.runId!, 'angle_deg'))].map((a) => Math.round(a))).toEqual([0, 30, 60, 90, 120, 150, 180]);
    const phase = r.outcome.metrics.find((m) => m.id === 'polarization.phase' && !m.qualifier)!;
    expect(phase.status === 'value' && Math.abs(phase.value - 30)).toBeLessThan(5);
    // The scope's WORD blocks travel over TCP too (binary bytes, terminator bytes inside).
    const e = await app.runProtocol({ protocolId: 'energy', params: { pulses: 3, widthS: 1e-3, intervalS: 5e-3 }, station, device: 'PTY2' });
    expect(e.outcome.status).toBe('completed');
    expect(readChannel(app.db, e.runId!, 'wf_v_V').length).toBe(3 * 2000);
    const w = e.outcome.metrics.find((m) => m.id === 'energy.write')!;
    expect(w.status === 'value' && w.value).toBeGreaterThan(1e-8);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 60_000);
});
