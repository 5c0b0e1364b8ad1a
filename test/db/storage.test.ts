import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeFloat64LE, encodeFloat64LE } from '../../db/blob.ts';
import { openDatabase } from '../../db/database.ts';
import { getRun, readAllChannels, readChannel, readMetrics } from '../../db/reader.ts';
import { RunRecorder } from '../../db/recorder.ts';
import { NeuroProbeApp } from '../../app/service.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { useTempDir } from '../helpers/temp.ts';

const tempDir = useTempDir();
const run = promisify(execFile);

function newRun(channels = ['x', 'y']) {
  return {
    device: 'D1',
    stationName: 's',
    stationJson: '{"name":"s"}',
    protocolId: 'test',
    protocolVersion: '0',
    params: { a: 1 },
    softwareVersion: 'test',
    channels: channels.map((name) => ({ name, unit: 'V', description: name })),
    instruments: [{ id: 'smu', role: 'source-meter', model: 'keithley2450', resource: 'SIM::keithley2450', idn: 'KEITHLEY' }],
  };
}

describe('sample BLOBs', () => {
  it('round-trip float64 exactly, including NaN and infinities, as little-endian bytes', () => {
    const values = [0, -0, 1e-300, -2.5, Math.PI, NaN, Infinity, -Infinity, 1e300];
    const blob = encodeFloat64LE(values);
    expect(blob.length).toBe(72);
    expect(blob.readDoubleLE(8 * 4)).toBe(Math.PI);
    expect(Array.from(decodeFloat64LE(blob))).toEqual(values);
    // A BLOB that starts at an odd offset inside a larger buffer still decodes.
    const shifted = Buffer.concat([Buffer.from([7]), blob]).subarray(1);
    expect(Array.from(decodeFloat64LE(shifted))).toEqual(values);
    expect(() => decodeFloat64LE(Buffer.alloc(12))).toThrow(/not a whole number of float64/);
  });
});

describe('run recorder', () => {
  it('stores channels as chunks of at most chunkSamples and reads them back whole', () => {
    const db = openDatabase(join(tempDir(), 'a.db'));
    const rec = new RunRecorder(db, newRun(), { chunkSamples: 10, flushIntervalMs: 1e9 });
    const x = Array.from({ length: 25 }, (_, i) => i * 0.5);
    rec.append({ x: x.slice(0, 13), y: x.slice(0, 13).map((v) => -v) });
    rec.append({ x: x.slice(13), y: x.slice(13).map((v) => -v) });
    rec.finish('completed', 'done', [], '0');
    const chunks = db.prepare('SELECT seq, first_index, n FROM chunks k JOIN channels c ON c.id = k.channel_id WHERE c.name = ? ORDER BY seq').all('x');
    expect(chunks).toEqual([
      { seq: 0, first_index: 0, n: 10 },
      { seq: 1, first_index: 10, n: 10 },
      { seq: 2, first_index: 20, n: 5 },
    ]);
    expect(Array.from(readChannel(db, rec.runId, 'x'))).toEqual(x);
    expect(Array.from(readAllChannels(db, rec.runId).y)).toEqual(x.map((v) => -v));
    expect(getRun(db, rec.runId).status).toBe('completed');
    expect(() => rec.append({ x: [1] })).toThrow(/already finished/);
    db.close();
  });

  it('refuses samples for a channel the run does not have', () => {
    const db = openDatabase(':memory:');
    const rec = new RunRecorder(db, newRun(['x']));
    expect(() => rec.append({ z: [1] })).toThrow(/has no channel "z"/);
    db.close();
  });

  it('marks a run left running by a crash as interrupted at next open, keeping what was flushed', () => {
    const path = join(tempDir(), 'crash.db');
    const db = openDatabase(path);
    // Flush window 0: every append is committed before append returns.
    const rec = new RunRecorder(db, newRun(['x']), { chunkSamples: 4, flushIntervalMs: 0 });
    rec.append({ x: [1, 2, 3, 4, 5, 6] });
    rec.append({ x: [7] });
    // While its owner (this process) lives, another open leaves the run alone.
    const watcher = openDatabase(path);
    expect(getRun(watcher, rec.runId).status).toBe('running');
    watcher.close();
    // The process "dies" without finish(): its owner becomes a pid that no longer exists.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(dead, rec.runId);
    db.close();
    const again = openDatabase(path);
    const r = getRun(again, rec.runId);
    expect(r.status).toBe('interrupted');
    expect(r.endReason).toMatch(/process recording it ended before the run finished/);
    expect(Array.from(readChannel(again, rec.runId, 'x'))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    again.close();
  });

  it('an owner on another host counts as gone only when its heartbeat is stale', () => {
    const path = join(tempDir(), 'shared.db');
    const db = openDatabase(path);
    const fresh = new RunRecorder(db, newRun(['x']));
    const stale = new RunRecorder(db, newRun(['x']));
    const setOwner = db.prepare(`UPDATE runs SET owner_host = 'another-host.example', owner_pid = 1, heartbeat_at = ? WHERE id = ?`);
    setOwner.run(new Date().toISOString(), fresh.runId);
    setOwner.run(new Date(Date.now() - 10 * 60_000).toISOString(), stale.runId);
    db.close();
    const again = openDatabase(path);
    expect(getRun(again, fresh.runId).status).toBe('running');
    expect(getRun(again, stale.runId).status).toBe('interrupted');
    again.close();
  });

  it('stores metrics with their definition, convention, conditions and missing reasons', () => {
    const db = openDatabase(':memory:');
    const rec = new RunRecorder(db, newRun(['x']));
    rec.finish('completed', 'ok', [
      { id: 'nl.lsq3', qualifier: 'ltp', convention: 'signed', unit: '1', method: 'm', conditions: { read_voltage_V: 0.1 }, status: 'value', value: 2.4, stderr: 0.01, quality: { nrmse: 0.002 }, extra: { A: 0.5 } },
      { id: 'dr.ratio', qualifier: 'ltp', unit: '1', method: 'm', conditions: {}, status: 'missing', reason: 'conductance is not positive' },
    ], '9.9');
    const { analysisVersion, metrics } = readMetrics(db, rec.runId);
    expect(analysisVersion).toBe('9.9');
    expect(metrics).toEqual([
      { id: 'nl.lsq3', qualifier: 'ltp', convention: 'signed', unit: '1', method: 'm', conditions: { read_voltage_V: 0.1 }, status: 'value', value: 2.4, stderr: 0.01, quality: { nrmse: 0.002 }, extra: { A: 0.5 } },
      { id: 'dr.ratio', qualifier: 'ltp', unit: '1', method: 'm', conditions: {}, status: 'missing', reason: 'conductance is not positive' },
    ]);
    db.close();
  });
});

describe('opening databases', () => {
  it('rejects files that are not NeuroProbe databases with a clear message', () => {
    const dir = tempDir();
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'these are my notes, not a database, and long enough to have a header '.repeat(3));
    expect(() => openDatabase(text)).toThrow(/cannot open database .*notes\.db: file is not a database/);
    const other = join(dir, 'other.db');
    const o = new Database(other);
    o.exec('CREATE TABLE t (x)');
    o.close();
    expect(() => openDatabase(other)).toThrow(/is an SQLite file but not a NeuroProbe database/);
    expect(() => openDatabase(join(dir, 'missing.db'), { mustExist: true })).toThrow(/does not exist/);
  });
});

describe('db/FORMAT.md', () => {
  it("its Python snippet reads a run's samples with sqlite3 and numpy alone", async () => {
    const path = join(tempDir(), 'fmt.db');
    const app = new NeuroProbeApp(path);
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station: simulatedStation(), device: 'D1' });
    const i = readChannel(app.db, r.runId!, 'i_read_A');
    app.close();
    const md = readFileSync(new URL('../../db/FORMAT.md', import.meta.url), 'utf8');
    const snippet = /```python\n([\s\S]*?)```/.exec(md)![1];
    const { stdout } = await run('/usr/bin/python3', ['-c', snippet, path, String(r.runId)]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('ltp-ltd t_s:414 i_read_A:414 v_read_V:414 cycle:414 phase:414 pulse:414');
    const [count, first, last] = lines[1].split(' ').map(Number);
    expect(count).toBe(10 + 2 * 2 * 101);
    expect(first).toBe(i[10] / 0.1); // after the 10 read-noise reads (phase 2)
    expect(last).toBe(i[110] / 0.1);
  });

  it('the same snippet reads a run of every protocol and of imported data', async () => {
    const dir = tempDir();
    const path = join(dir, 'every.db');
    const app = new NeuroProbeApp(path);
    const station = simulatedStation();
    const volatile = { ...station, simulation: { ...station.simulation!, device: { ...station.simulation!.device, volatileStepS: [2e-6, 1e-6] as [number, number], retentionFraction: 0.3 } } };
    const ids = [
      (await app.runProtocol({ protocolId: 'endurance', params: { cycles: 500, cyclesPerTrain: 100 }, station, device: 'E' })).runId,
      (await app.runProtocol({ protocolId: 'ppf', params: {}, station: volatile, device: 'P' })).runId,
      (await app.runProtocol({ protocolId: 'retention', params: {}, station: volatile, device: 'R' })).runId,
    ];
    const csv = join(dir, 'stdp.csv');
    writeFileSync(csv, 'dt_s,dw_percent\n' + Array.from({ length: 20 }, (_, k) => `${(k - 10) * 0.01 + 0.005},${k - 10}`).join('\n'));
    ids.push(app.importCsv(csv, { as: 'stdp' }).runId);
    const md = readFileSync(new URL('../../db/FORMAT.md', import.meta.url), 'utf8');
    const snippet = /```python\n([\s\S]*?)```/.exec(md)![1];
    const expected = ids.map((id) => {
      const r = app.run(id);
      return `${r.protocolId} ${r.channels.map((c) => `${c.name}:${c.samples}`).join(' ')}`;
    });
    app.close();
    for (const [i, id] of ids.entries()) {
      const { stdout } = await run('/usr/bin/python3', ['-c', snippet, path, String(id)]);
      expect(stdout.trim()).toBe(expected[i]);
      expect(expected[i]).toMatch(/:[1-9]/);
    }
  });
});
