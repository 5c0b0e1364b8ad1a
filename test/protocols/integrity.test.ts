// Safety and data integrity inside one process: stop rules, limits that only tighten,
// exact resume, every attempt stored, provenance, bounded inputs, a finite device model.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NeuroProbeApp } from '../../app/service.ts';
import { readAllChannels, readChannel } from '../../db/reader.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { Memristor } from '../../drivers/sim/dut/memristor.ts';
import { serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { SimKeysight33500B } from '../../drivers/sim/keysight33500b.ts';
import { SafetyError } from '../../protocols/runner.ts';
import { loadStationFile, parseStation, simulatedStation } from '../../protocols/station.ts';
import { useTempDir } from '../helpers/temp.ts';
import { useApps } from '../helpers/apps.ts';

const tempDir = useTempDir();
const openApp = useApps(() => ':memory:');
const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', name);

describe('stop rules that protect the device', () => {
  for (const stopAfterFailure of ['yes', 'no']) {
    it(`endurance stops at the first read at the current limit (stopAfterFailure=${stopAfterFailure})`, async () => {
      const app = openApp();
      const station = loadStationFile(fixture('station-sim-short.json'));
      const r = await app.runProtocol({ protocolId: 'endurance', params: { cycles: 6000, cyclesPerTrain: 500, stopAfterFailure }, station, device: 'E1' });
      expect(r.outcome.status).toBe('failed');
      // The short starts with the 4th train (cycles 1501–2000): its first read is the first at the limit.
      expect(r.outcome.reason).toMatch(/^cycle 1501 \(LRS read\): 0\.001 A at 0\.1 V reached the current limit 0\.001 A — the device may have shorted/);
      const run = app.run(r.runId);
      expect(run.status).toBe('failed');
      expect(run.samples).toBe(2000 * 2); // stopped after that train: no further cycle went into the short
    });
  }

  it('PPF and retention stop too', async () => {
    const app = openApp();
    const short = (atTrain: number) => ({ ...simulatedStation(), simulation: { ...simulatedStation().simulation!, faults: [{ instrument: 'keithley2450' as const, kind: 'short' as const, atTrain }] } });
    const ppf = await app.runProtocol({ protocolId: 'ppf', params: {}, station: short(2), device: 'P1' });
    expect(ppf.outcome.status).toBe('failed');
    expect(ppf.outcome.reason).toMatch(/^pair 2 .* reached the current limit/);
    const ret = await app.runProtocol({ protocolId: 'retention', params: {}, station: short(1), device: 'R1' });
    expect(ret.outcome.status).toBe('failed');
    expect(ret.outcome.reason).toMatch(/the read before programming: .* reached the current limit/);
  });
});

describe('limits only tighten', () => {
  const base = {
    name: 's',
    instruments: [{ id: 'smu', model: 'keithley2450', resource: 'SIM::keithley2450', role: 'source-meter' }],
    wiring: { sourceMeter: 'smu' },
    limits: { maxAbsVoltageV: 5, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-6 },
    simulation: { seed: 1 },
  };

  it('a per-device entry that would loosen a station limit is refused, naming the field', () => {
    expect(() => parseStation({ ...base, deviceLimits: { D1: { maxAbsVoltageV: 50 } } }, 'test')).toThrow(/deviceLimits\.D1\.maxAbsVoltageV: 50 would loosen the station limit limits\.maxAbsVoltageV = 5/);
    expect(() => parseStation({ ...base, deviceLimits: { D1: { minPulseWidthS: 1e-9 } } }, 'test')).toThrow(/deviceLimits\.D1\.minPulseWidthS: 1e-9 would loosen/);
    expect(() => parseStation({ ...base, deviceLimits: { D1: { complianceA: 1e-2 } } }, 'test')).toThrow(/deviceLimits\.D1\.complianceA/);
  });

  it('a tighter per-device entry applies, and ±20 V never reaches D1', async () => {
    const station = parseStation({ ...base, deviceLimits: { D1: { maxAbsVoltageV: 2 } } }, 'test');
    const app = openApp();
    const sim = new SimBench({ seed: 1 });
    await expect(app.runProtocol({ protocolId: 'ltp-ltd', params: { potentiationAmplitudeV: 3, depressionAmplitudeV: -3 }, station, device: 'D1', sim })).rejects.toThrow(SafetyError);
    await expect(app.runProtocol({ protocolId: 'ltp-ltd', params: { potentiationAmplitudeV: 20, depressionAmplitudeV: -20 }, station, device: 'D2', sim })).rejects.toThrow(/exceeds the device limit \|V\| ≤ 5 V/);
    expect(sim.smu.received).toEqual([]);
    expect(app.runs()).toEqual([]); // refused before anything: nothing stored
  });
});

describe('exact resume', () => {
  async function interrupted(app: NeuroProbeApp, protocolId: string, params: Record<string, unknown>, abortAtProgress: number) {
    const c = new AbortController();
    let n = 0;
    const r = await app.runProtocol({
      protocolId,
      params,
      station: simulatedStation(),
      device: 'X',
      signal: c.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && ++n === abortAtProgress) c.abort();
      },
    });
    expect(r.outcome.status).toBe('aborted');
    return r.runId;
  }

  it('a resumed endurance run equals an uninterrupted one: same reads, same failure cycle, cycles counted once', async () => {
    const app = openApp();
    const params = { cycles: 8000, cyclesPerTrain: 500 };
    const whole = await app.runProtocol({ protocolId: 'endurance', params, station: simulatedStation(), device: 'X' });
    // Abort in the middle of a train (progress inside trains), twice, resuming each time.
    const id = await interrupted(app, 'endurance', params, 7);
    const c = new AbortController();
    let n = 0;
    const again = await app.resumeRun(id, { signal: c.signal, onEvent: (e) => e.type === 'progress' && ++n === 9 && c.abort() });
    expect(again.outcome.status).toBe('aborted');
    const done = await app.resumeRun(id);
    expect(done.outcome.status).toBe('completed');
    const a = readAllChannels(app.db, whole.runId);
    const b = readAllChannels(app.db, id);
    for (const k of Object.keys(a)) expect(Array.from(b[k]), k).toEqual(Array.from(a[k]));
    const cards = [app.card(whole.runId), app.card(id)].map((card) => card.metrics.map((m) => [m.id, m.qualifier, m.status === 'value' ? m.value : m.reason]));
    expect(cards[1]).toEqual(cards[0]);
    const failedAt = app.card(id).metrics.find((m) => m.id === 'endurance.cycles');
    expect(failedAt?.status === 'value' && failedAt.extra?.failed_at_cycle).toBe(6091);
    expect(failedAt?.conditions.cycles_measured).toBe(6500); // each cycle counted once
    // The resume events are kept; superseded data are kept aside, not mixed in.
    const kinds = app.db.prepare(`SELECT kind FROM events WHERE run_id = ? AND kind = 'resume'`).all(id);
    expect(kinds).toHaveLength(2);
    const aside = app.db.prepare('SELECT COUNT(*) AS n FROM superseded_chunks s JOIN channels c ON c.id = s.channel_id WHERE c.run_id = ?').get(id) as { n: number };
    expect(aside.n).toBeGreaterThan(0);
  });

  it('the FORMAT.md Python reader sees each cycle once in a resumed LTP/LTD run', () => {
    // Runs the documented snippet on a resumed run (mid-train abort, so data after the checkpoint existed).
    return (async () => {
      const path = join(tempDir(), 'resumed.db');
      const app = openApp(path);
      const id = await interrupted(app, 'ltp-ltd', { cycles: 3 }, 3);
      expect(app.run(id).samples).toBe(10 + 202 + 101);
      await app.resumeRun(id);
      app.close();
      const format = readFileSync(join(import.meta.dirname, '..', '..', 'db', 'FORMAT.md'), 'utf8');
      const snippet = /```python\n([\s\S]*?)```/.exec(format)![1];
      const out = execFileSync('/usr/bin/python3', ['-c', snippet, path, String(id)], { encoding: 'utf8' }).trim().split('\n');
      expect(Number(out[1].split(' ')[0])).toBe(10 + 3 * 202);
      const check = execFileSync(
        '/usr/bin/python3',
        ['-c', `${snippet}\nfor c in (1, 2, 3):\n    print(int(((cycle == c) & (phase == 0)).sum()), int(((cycle == c) & (phase == 1)).sum()))`, path, String(id)],
        { encoding: 'utf8' },
      );
      expect(check.trim().split('\n').slice(2)).toEqual(['101 101', '101 101', '101 101']);
    })();
  });

  it('a refused resume writes nothing', async () => {
    const app = openApp();
    const id = await interrupted(app, 'ltp-ltd', { cycles: 3 }, 3);
    const count = () => (app.db.prepare('SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM superseded_chunks) + (SELECT COUNT(*) FROM checkpoints) AS n').get() as { n: number }).n;
    const before = { n: count(), status: app.run(id).status, samples: app.run(id).samples };
    const tight = { ...simulatedStation(), limits: { ...simulatedStation().limits, maxAbsVoltageV: 1 } };
    await expect(app.resumeRun(id, { station: tight })).rejects.toThrow(SafetyError);
    expect({ n: count(), status: app.run(id).status, samples: app.run(id).samples }).toEqual(before);
    // A run being recorded elsewhere is refused too.
    app.db.prepare(`UPDATE runs SET status = 'running' WHERE id = ?`).run(id);
    await expect(app.resumeRun(id)).rejects.toThrow(/run \d+ is running; .*another process is recording it/);
    expect(count()).toBe(before.n);
  });
});

describe('every attempt leaves a record', () => {
  it('an instrument that never answers *IDN? is stored failed, and receives nothing but *IDN?', async () => {
    const app = openApp();
    const station = simulatedStation();
    const sim = new SimBench({ ...station.simulation, faults: [{ instrument: 'keithley2450', kind: 'timeout', afterMessages: 0 }] });
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: {}, station, device: 'N1', sim });
    expect(r.outcome.status).toBe('failed');
    const run = app.run(r.runId);
    expect(run.status).toBe('failed');
    expect(run.endReason).toMatch(/^did not start: Keithley 2450 at SIM::keithley2450 did not answer within 2 s/);
    expect(sim.smu.received).toEqual(['*IDN?']);
  });

  it('the wrong instrument at an address gets no command beyond identification', async () => {
    const wrong = new SimKeysight33500B();
    const server = await serveInstrument(wrong, 0);
    try {
      const app = openApp();
      const station = parseStation(
        {
          name: 'mislabelled',
          instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }],
          wiring: { sourceMeter: 'smu' },
          limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-7 },
        },
        'test',
      );
      const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: {}, station, device: 'N2' });
      expect(r.outcome.status).toBe('failed');
      expect(r.outcome.reason).toMatch(/\*IDN\? answered "Keysight Technologies,33522B,.*", which is not/);
      expect(r.outcome.reason).not.toMatch(/WARNING/);
      expect(wrong.received).toEqual(['*IDN?']);
    } finally {
      await server.close();
    }
  });

  it('a full disk fails the run with its reason stored, and the sources still go safe', async () => {
    const path = join(tempDir(), 'small.db');
    const app = openApp(path);
    // Room for the catalogue but not for a long run: SQLite then reports "database or disk is full".
    const pages = (app.db.pragma('page_count', { simple: true }) as number) + 6;
    app.db.pragma(`max_page_count = ${pages}`);
    const sim = new SimBench({ seed: 1 });
    let result: Awaited<ReturnType<NeuroProbeApp['runProtocol']>> | null = null;
    let thrown: Error | null = null;
    try {
      result = await app.runProtocol({ protocolId: 'endurance', params: { cycles: 50_000, cyclesPerTrain: 5000, stopAfterFailure: 'no' }, station: simulatedStation(), device: 'F', sim });
    } catch (e) {
      thrown = e as Error;
    }
    expect(sim.smu.isOutputOn).toBe(false);
    expect(sim.smu.sourceLevelV).toBe(0);
    const run = app.runs()[0];
    expect(run.status).toBe('failed');
    expect(run.endReason).toMatch(/database or disk is full/);
    if (thrown) expect(thrown.message).toMatch(/database or disk is full/);
    else expect(result!.outcome.status).toBe('failed');
  });
});

describe('provenance and bounded inputs', () => {
  it('simulated runs say so in the runs list, the card and the export; a TCP simulator is recognised by its *IDN?', async () => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1 }, station: simulatedStation(), device: 'S1' });
    expect(app.runs()[0].source).toBe('simulated');
    expect(app.card(r.runId).source).toBe('simulated');
    expect(app.run(r.runId).simulation).toMatchObject({ seed: 1, deviceIndex: 0 });
    expect(app.exportRun(r.runId, 'csv').split('\n')[0]).toMatch(/source simulated \(simulated bench, seed 1\)/);

    const sim = new SimBench({ seed: 2 });
    const server = await serveInstrument(sim.instrument('keithley2450'), 0);
    try {
      const station = parseStation(
        {
          name: 'looks like a LAN bench',
          instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }],
          wiring: { sourceMeter: 'smu' },
          limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-7 },
        },
        'test',
      );
      const t = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1 }, station, device: 'S2' });
      expect(t.outcome.status).toBe('completed');
      expect(app.run(t.runId).instruments[0].simulated).toBe(1);
      expect(app.card(t.runId).source).toBe('simulated');
    } finally {
      await server.close();
    }
  });

  it('timeouts are bounded by the station schema', () => {
    const s = simulatedStation();
    const withTimeout = (timeoutMs: number) => ({ ...s, instruments: [{ ...s.instruments[0], timeoutMs }, ...s.instruments.slice(1)] });
    expect(() => parseStation(withTimeout(10_000_000_000), 'test')).toThrow(/instruments\.0\.timeoutMs/);
    expect(parseStation(withTimeout(30_000), 'test').instruments[0].timeoutMs).toBe(30_000);
  });

  it('station conditions are stored once per run, not in every metric row, and still shown with every metric', async () => {
    const app = openApp();
    const station = { ...simulatedStation(), conditions: { temperature_K: 295, ambient: 'N2 glovebox' } };
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station, device: 'C1' });
    const rows = app.db.prepare('SELECT conditions_json FROM metrics WHERE run_id = ?').all(r.runId) as { conditions_json: string }[];
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row.conditions_json).not.toMatch(/glovebox/);
    for (const m of app.card(r.runId).metrics) expect(m.conditions).toMatchObject({ temperature_K: 295, ambient: 'N2 glovebox' });
    expect(app.recomputeCard(r.runId).metrics.map((m) => m.conditions)).toEqual(app.card(r.runId).metrics.map((m) => m.conditions));
    const huge = { ...simulatedStation(), conditions: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'x'])) };
    expect(() => parseStation(huge, 'test')).toThrow(/at most 64 conditions/);
  });

  it('the device model stays finite for any operation sequence, full wear-out included', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('apply' as const), v: fc.double({ min: -10, max: 10, noNaN: true }), dt: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('cycle' as const), n: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('read' as const), v: fc.double({ min: -1, max: 1, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.integer({ min: 0, max: 5 }), (ops, deviceIndex) => {
        const m = new Memristor({ wearOutCycles: 500, volatileStepS: [1e-6, 1e-7], retentionFraction: 0.3 }, 1, deviceIndex);
        for (const o of ops) {
          if (o.kind === 'apply') m.apply(o.v, o.dt);
          else if (o.kind === 'cycle') for (let i = 0; i < o.n; i++) (m.apply(2, 1e-3), m.apply(-2, 1e-3));
          else if (!Number.isFinite(m.currentA(o.v))) return false;
          if (!Number.isFinite(m.conductanceS) || m.conductanceS <= 0) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('a long endurance run past full wear-out completes with finite reads', async () => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'endurance', params: { cycles: 30_000, cyclesPerTrain: 5000, stopAfterFailure: 'no' }, station: simulatedStation(), device: 'W' });
    expect(r.outcome.status).toBe('completed');
    const i = readChannel(app.db, r.runId, 'i_read_A');
    expect(i.length).toBe(60_000);
    expect(i.every(Number.isFinite)).toBe(true);
  });
});
