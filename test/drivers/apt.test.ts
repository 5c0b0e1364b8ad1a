import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { APT, aptFrameLength, chanPosition, hex, longMessage, parseMessage, shortMessage, splitApt } from '../../drivers/instruments/stage/apt-protocol.ts';
import { K10cr1Stage } from '../../drivers/instruments/stage/k10cr1.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { SimK10cr1 } from '../../drivers/sim/k10cr1.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { LineReader } from '../../drivers/transport/line-reader.ts';
import { LoopbackTransport } from '../../drivers/transport/loopback.ts';
import { SerialTransport } from '../../drivers/transport/serial.ts';
import { TcpTransport } from '../../drivers/transport/tcp.ts';
import { simBenchConfig, simulatedStation } from '../../protocols/station.ts';
import { readChannel } from '../../db/reader.ts';
import { useTempDir } from '../helpers/temp.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

const tempDir = useTempDir();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('APT binary protocol', () => {
  it('packs the golden byte strings of the public drivers', () => {
    expect(hex(shortMessage(APT.HW_REQ_INFO, 0, 0))).toBe('05 00 00 00 50 01');
    expect(hex(shortMessage(APT.MOT_MOVE_HOME, 1, 0))).toBe('43 04 01 00 50 01');
    expect(hex(shortMessage(APT.MOT_REQ_POSCOUNTER, 1, 0))).toBe('11 04 01 00 50 01');
    expect(hex(shortMessage(APT.MOD_SET_CHANENABLESTATE, 1, 1))).toBe('10 02 01 01 50 01');
    expect(hex(longMessage(APT.MOT_MOVE_ABSOLUTE, chanPosition(1, 1000)))).toBe('53 04 06 00 D0 01 01 00 E8 03 00 00');
    // K10CR1 at 45°: 6 144 000 counts.
    expect(hex(longMessage(APT.MOT_MOVE_ABSOLUTE, chanPosition(1, 45 * (409600 / 3))))).toBe('53 04 06 00 D0 01 01 00 00 C0 5D 00');
    const reply = parseMessage(Buffer.from('120406008150' + '0100E0B1FFFF', 'hex').toString('latin1'));
    expect(reply).toMatchObject({ id: APT.MOT_GET_POSCOUNTER, dest: 0x01, source: 0x50 });
    expect(reply.data!.readInt32LE(2)).toBe(-20000);
  });

  it('the framer cuts any byte stream into whole messages, refuses garbage lengths, and never waits forever', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const s = Buffer.from(bytes).toString('latin1');
        const r = splitApt(s);
        for (const c of r.commands) expect(() => parseMessage(c)).not.toThrow();
        expect(r.rest.length).toBeLessThan(6 + 256);
        return true;
      }),
      { numRuns: 2000 },
    );
    // A header declaring 0xFFFF data bytes is garbage, not a reason to wait for 64 kB.
    expect(() => aptFrameLength(Buffer.from('53 04 FF FF D0 01'.replace(/ /g, ''), 'hex').toString('latin1'))).toThrow(/declares 65535 data bytes/);
    expect(aptFrameLength(Buffer.from('530406', 'hex').toString('latin1'))).toBe(-1);
  });

  it('random and truncated replies end every read with a clear error or a message, within its timeout', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), async (bytes) => {
        const r = new LineReader('ASRL/dev/fuzz::INSTR', '', aptFrameLength);
        r.feed(Buffer.from(bytes).toString('latin1'));
        const t0 = Date.now();
        await r.read(20).then(
          (m) => expect(m.length).toBeGreaterThanOrEqual(6),
          (e: Error) => expect(e.message).toMatch(/did not answer within 20 ms|garbled stream/),
        );
        expect(Date.now() - t0).toBeLessThan(500);
        return true;
      }),
      { numRuns: 200 },
    );
  });
});

describe('K10CR1 driver against the simulated controller', () => {
  it('identifies, homes, moves taking out backlash, and reads every angle back', async () => {
    const sim = new SimK10cr1();
    const stage = new K10cr1Stage(new LoopbackTransport('SIM::thorlabs-k10cr1', sim), { limits: { minDeg: 0, maxDeg: 180 } });
    expect(await stage.identify()).toBe('Thorlabs,K10CR1,55999001,3.0.1');
    await stage.reset();
    expect(sim.isEnabled).toBe(true);
    expect(await stage.moveTo(45)).toBeCloseTo(45, 4);
    const before = sim.received.length;
    expect(await stage.moveTo(30)).toBeCloseTo(30, 4);
    // Going back: first 1° below the target, then up to it.
    const moves = sim.received.slice(before).map(parseMessage).filter((m) => m.id === APT.MOT_MOVE_ABSOLUTE);
    expect(moves.map((m) => m.data!.readInt32LE(2) / (409600 / 3))).toEqual([expect.closeTo(29, 4), expect.closeTo(30, 4)]);
    const n = sim.received.length;
    await expect(stage.moveTo(200)).rejects.toThrow(/angle 200° is outside the stage's allowed travel 0…180°/);
    expect(sim.received.length).toBe(n);
  });

  it('a move that never completes fails clearly after the move timeout', async () => {
    const sim = new SimK10cr1();
    sim.stalled = true;
    const stage = new K10cr1Stage(new LoopbackTransport('SIM::thorlabs-k10cr1', sim), { moveTimeoutMs: 200 });
    await stage.identify();
    await expect(stage.moveTo(10)).rejects.toThrow(/moving to 10°: no reply within 0.2 s/);
  });

  it('talks over TCP and over a pseudo-terminal (115200 8N1, RTS/CTS) with binary frames', async () => {
    const sim = new SimK10cr1();
    const server = await serveInstrument(sim, 0, '127.0.0.1', { split: (x) => splitApt(x), replyTerminator: '' });
    cleanups.push(() => server.close());
    const tcp = await TcpTransport.connect('TCPIP0::127.0.0.1::apt::SOCKET', { host: '127.0.0.1', port: server.port, terminator: '', writeTerminator: '', framer: aptFrameLength, timeoutMs: 2000 });
    const a = new K10cr1Stage(tcp);
    await a.identify();
    // 1000 counts contains bytes 0xE8 0x03; 256 counts puts 0x00/0x01; 0x0A (LF) appears in 10 counts.
    for (const counts of [1000, 256, 10]) {
      const deg = counts / (409600 / 3);
      expect(await a.moveTo(deg)).toBeCloseTo(deg, 9);
    }
    await tcp.close();
    const link = join(tempDir(), 'ttyK10');
    const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${server.port}`], { stdio: 'ignore' });
    cleanups.push(() => void socat.kill());
    for (let i = 0; i < 100 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 20));
    const serial = await SerialTransport.open(`ASRL${link}::INSTR`, { path: link, baudRate: 115200, rtscts: true, terminator: '', writeTerminator: '', framer: aptFrameLength, timeoutMs: 2000 });
    const b = new K10cr1Stage(serial);
    expect(await b.identify()).toMatch(/^Thorlabs,K10CR1,55/);
    expect(await b.moveTo(90)).toBeCloseTo(90, 4);
    await b.safeOff();
    await serial.close();
  });

  it('a polarization run with the K10CR1 holding the polarizer recovers the device axis', async () => {
    const base = simulatedStation();
    const station = {
      ...base,
      instruments: base.instruments.map((i) => (i.id === 'stage' ? { ...i, model: 'thorlabs-k10cr1' as const, resource: 'SIM::thorlabs-k10cr1' } : i)),
    };
    const sim = new SimBench(simBenchConfig(station));
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'polarization', params: {}, station, device: 'K1', sim });
    expect(r.outcome.status).toBe('completed');
    const phase = r.outcome.metrics.find((m) => m.id === 'polarization.phase' && !m.qualifier)!;
    expect(phase.status === 'value' && Math.abs(phase.value - 30)).toBeLessThan(3);
    expect(sim.k10cr1.received.some((m) => parseMessage(m).id === APT.MOT_MOVE_HOME)).toBe(true);
    expect(readChannel(app.db, r.runId!, 'angle_deg')[3 * 5]).toBeCloseTo(50, 4);
    // Abort-safe: the last thing the stage heard was a stop and a position read.
    expect(sim.k10cr1.received.slice(-2).map((m) => parseMessage(m).id)).toEqual([APT.MOT_MOVE_STOP, APT.MOT_REQ_POSCOUNTER]);
  });
});
