import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver, openTransport } from '../../drivers/connect.ts';
import type { SourceMeter } from '../../drivers/instruments/roles.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { type SimServer, serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { TcpTransport } from '../../drivers/transport/tcp.ts';
import type { TrainProgram } from '../../drivers/instruments/waveform.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(bench: SimBench): Promise<SimServer> {
  const s = await serveInstrument(bench.smu, 0);
  cleanups.push(() => s.close());
  return s;
}

const program: TrainProgram = {
  prologue: [{ levelV: 0.1, durationS: 1e-3, measure: true }],
  unit: [
    { levelV: 1.5, durationS: 1e-3 },
    { levelV: 0.1, durationS: 1e-3, measure: true },
    { levelV: 0, durationS: 16e-3 },
  ],
  repeat: 50,
  limitA: 1e-3,
  nplc: 0.1,
};

describe('Keithley 2450 driver ↔ simulator over loopback TCP', () => {
  it('plays a pulse train as one program and reads the same data as in memory', async () => {
    const tcpBench = new SimBench({ seed: 11 });
    const server = await serve(tcpBench);
    const resource = `TCPIP0::127.0.0.1::${server.port}::SOCKET`;
    const smu = createDriver('keithley2450', await openTransport(resource)) as SourceMeter;
    cleanups.push(() => smu.close());
    expect(await smu.identify()).toMatch(/MODEL 2450/);
    await smu.reset();
    const overTcp = await smu.runTrain(program);

    const memBench = new SimBench({ seed: 11 });
    const mem = createDriver('keithley2450', await openTransport('SIM::keithley2450', { sim: memBench })) as SourceMeter;
    await mem.reset();
    const inMemory = await mem.runTrain(program);

    expect(overTcp.currentA.length).toBe(51);
    // The wire format carries full precision: same seed, same data.
    expect(overTcp.currentA).toEqual(inMemory.currentA);
    expect(overTcp.timeS).toEqual(inMemory.timeS);
    // Potentiation: the last read is well above the first.
    expect(overTcp.currentA[50]).toBeGreaterThan(3 * overTcp.currentA[0]);
    // One :INIT for the whole train, not one per pulse.
    expect(tcpBench.smu.received.filter((m) => /^:INIT/.test(m)).length).toBe(1);
    await smu.safeOff();
    expect(tcpBench.smu.isOutputOn).toBe(false);
    expect(tcpBench.smu.sourceLevelV).toBe(0);
  });

  it("surfaces the instrument's own error text", async () => {
    const bench = new SimBench({ seed: 12 });
    const server = await serve(bench);
    const t = await openTransport(`TCPIP0::127.0.0.1::${server.port}::SOCKET`);
    const smu = createDriver('keithley2450', t) as SourceMeter;
    cleanups.push(() => smu.close());
    await t.write(':SOUR:VOLT:RANG 0.2;:SOUR:VOLT 3');
    await expect(smu.reset()).resolves.toBeUndefined(); // *CLS in reset clears the queue
    await t.write(':SOUR:VOLT:RANG 0.2;:SOUR:VOLT 3');
    await expect(smu.runTrain(program)).rejects.toThrow(/Keithley 2450 at TCPIP0::127\.0\.0\.1::\d+::SOCKET reported an error while configuring the pulse train: -222,"Data out of range; source level 3 V exceeds the 0.2 V range"/);
  });
});

describe('TCP transport failures', () => {
  it('says the connection was refused, naming the resource', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await expect(openTransport(`TCPIP0::127.0.0.1::${port}::SOCKET`)).rejects.toThrow(
      new RegExp(`TCPIP0::127.0.0.1::${port}::SOCKET: connection refused by 127.0.0.1:${port}`),
    );
  });

  it('times out on a silent instrument instead of hanging', async () => {
    const silent = net.createServer((s) => s.on('data', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => silent.close(() => r())));
    const port = (silent.address() as net.AddressInfo).port;
    const t = await TcpTransport.connect('TCPIP0::127.0.0.1::' + port + '::SOCKET', { host: '127.0.0.1', port, timeoutMs: 150 });
    cleanups.push(() => t.close());
    const started = Date.now();
    await expect(t.query('*IDN?')).rejects.toThrow(/did not answer within 150 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('reports an instrument that drops the connection mid-query', async () => {
    const rude = net.createServer((s) => s.on('data', () => s.destroy()));
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => rude.close(() => r())));
    const port = (rude.address() as net.AddressInfo).port;
    const t = await TcpTransport.connect(`TCPIP0::127.0.0.1::${port}::SOCKET`, { host: '127.0.0.1', port, timeoutMs: 2000 });
    cleanups.push(() => t.close());
    await expect(t.query('*IDN?')).rejects.toThrow(/connection closed by the instrument/);
  });
});

describe('long trains', () => {
  it('reads a 5000-pulse train back in chunks over TCP, growing the buffer when needed', async () => {
    const bench = new SimBench({ seed: 13, device: { pulsesToSpan: 5000 } });
    const server = await serve(bench);
    const smu = createDriver('keithley2450', await openTransport(`TCPIP0::127.0.0.1::${server.port}::SOCKET`)) as SourceMeter;
    cleanups.push(() => smu.close());
    await smu.reset();
    await smu.runTrain({ ...program, repeat: 10 }); // leaves the buffer with data; the next train clears it
    bench.smu.handleMessage(':TRAC:POIN 1000, "defbuffer1"'); // smaller than the next train needs
    const r = await smu.runTrain({ ...program, repeat: 5000 });
    expect(r.currentA.length).toBe(5001);
    expect(bench.smu.received.filter((m) => m.startsWith(':TRAC:DATA?') && m.includes('READ, SOUR, REL')).length).toBe(1 + 3); // 11 readings, then 2000 + 2000 + 1001
    expect(bench.smu.received).toContain(':TRAC:POIN 5001, "defbuffer1"');
    for (let k = 1; k < r.timeS.length; k++) expect(r.timeS[k]).toBeGreaterThan(r.timeS[k - 1]);
    expect(r.currentA[5000]).toBeGreaterThan(r.currentA[0]);
  });
});

describe('binary blocks over TCP', () => {
  it('an arbitrary waveform upload whose bytes include LF and ";" reaches the simulated 33522B intact', async () => {
    const { Keysight33500B } = await import('../../drivers/instruments/pulsegen/keysight33500b.ts');
    const bench = new SimBench({ seed: 1 });
    const server = await serveInstrument(bench.generator, 0);
    try {
      const gen = new Keysight33500B(await openTransport(`TCPIP0::127.0.0.1::${server.port}::SOCKET`));
      await gen.identify();
      // A value whose float32 encoding is 3F 0A 3B 0A: an LF and a ';' inside the block.
      const tricky = Buffer.from([0x3f, 0x0a, 0x3b, 0x0a]).readFloatBE(0);
      const samplesV = [0, 0.25, -0.5, 1, -1, tricky, -tricky, 0.5, 0.125, -0.75, 0];
      await gen.armArbitrary({ channel: 1, samplesV, sampleRateSa: 1e5, trigger: 'bus' });
      expect(bench.generator.pendingErrors).toEqual([]);
      const stored = Array.from(bench.generator.arbitrary(1, 'NPARB')!);
      // Stored as −1…+1 of the peak-to-peak span (2 V around 0 V).
      expect(stored.length).toBe(samplesV.length);
      stored.forEach((v, k) => expect(v).toBeCloseTo(samplesV[k], 6));
      await gen.close();
    } finally {
      await server.close();
    }
  });
});
