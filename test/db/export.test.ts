// Exports that stream in constant memory, cannot inject formulas into a spreadsheet, and
// are read back by the tools users have (h5py for HDF5); names shown safely everywhere.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { csvCell } from '../../db/export.ts';
import { readChannel } from '../../db/reader.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { terminalSafe } from '../../cli/terminal.ts';
import { formatRunsTable } from '../../cli/tables.ts';
import { useTempDir } from '../helpers/temp.ts';
import { useApps } from '../helpers/apps.ts';

const ROOT = join(import.meta.dirname, '..', '..');

const tempDir = useTempDir();
const openApp = useApps(() => join(tempDir(), 'x.db'));

const EVIL = "A,=cmd|' /C calc'!A0";

describe('CSV export', () => {
  it('neutralises formula cells and quotes delimiters', () => {
    expect(csvCell('=cmd')).toBe(`"'=cmd"`);
    expect(csvCell('+1')).toBe(`"'+1"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });

  it('a hostile device name stays one inert cell; samples parse back exactly', async () => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1 }, station: simulatedStation(), device: EVIL });
    const csv = app.exportRun(r.runId, 'csv');
    const rows = parse(csv, { relax_column_count: true }) as string[][];
    expect(rows[0]).toHaveLength(1);
    expect(rows[0][0]).toMatch(/^# NeuroProbe run 1, device A,=cmd/);
    for (const row of rows) for (const cell of row) if (!/^-?[\d.]/.test(cell)) expect(cell, cell).not.toMatch(/^[=+@]/);
    const i = readChannel(app.db, r.runId, 'i_read_A');
    expect(rows.slice(3).map((row) => Number(row[1]))).toEqual(Array.from(i));
  });
});

describe('streamed exports', () => {
  it('JSON and JSON Lines carry the same samples, events and metrics', async () => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station: simulatedStation(), device: 'J1' });
    const json = JSON.parse(app.exportRun(r.runId, 'json'));
    expect(json.format).toBe('neuroprobe.run-export');
    expect(json.run.source).toBe('simulated');
    expect(json.channels.i_read_A.values).toEqual(Array.from(readChannel(app.db, r.runId, 'i_read_A')));
    expect(json.events.length).toBe(2 * 2 * 100);
    expect(json.metrics.length).toBe(app.card(r.runId).metrics.length);
    const lines = app.exportRun(r.runId, 'jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].record).toBe('run');
    const samples = lines.filter((l) => l.record === 'sample');
    expect(samples).toHaveLength(414);
    expect(samples.map((s) => s.i_read_A)).toEqual(json.channels.i_read_A.values);
    expect(samples[413].index).toBe(413);
    expect(lines.filter((l) => l.record === 'event')).toHaveLength(400);
    expect(lines.filter((l) => l.record === 'metric')).toHaveLength(json.metrics.length);
  });

  it('a large export is produced piece by piece: the live heap stays far below its size', async () => {
    const dir = tempDir();
    const db = join(dir, 'big.db');
    const app = new NeuroProbeApp(db);
    await app.runProtocol({ protocolId: 'endurance', params: { cycles: 200_000, cyclesPerTrain: 20_000, stopAfterFailure: 'no' }, station: simulatedStation(), device: 'L1' });
    app.close();
    // A separate process with an exposed collector, so the live heap (not garbage) is measured.
    const script = join(dir, 'measure.mts');
    writeFileSync(
      script,
      `import { NeuroProbeApp } from ${JSON.stringify(join(ROOT, 'app/service.ts'))};
const app = new NeuroProbeApp(process.argv[2], { mustExist: true });
const out = {};
for (const format of ['csv', 'jsonl', 'json']) {
  globalThis.gc(); const base = process.memoryUsage().heapUsed;
  let peak = 0, bytes = 0, pieces = 0;
  for (const part of app.exportRunParts(1, format)) {
    bytes += part.length;
    if (++pieces % 16 === 0) { globalThis.gc(); peak = Math.max(peak, process.memoryUsage().heapUsed - base); }
  }
  out[format] = { peak, bytes, pieces };
}
app.close();
console.log(JSON.stringify(out));`,
    );
    const got = JSON.parse(execFileSync('node', ['--expose-gc', '--import', 'tsx', script, db], { encoding: 'utf8', cwd: ROOT })) as Record<string, { peak: number; bytes: number; pieces: number }>;
    for (const [format, m] of Object.entries(got)) {
      expect(m.bytes, format).toBeGreaterThan(20e6);
      expect(m.pieces, format).toBeGreaterThan(40);
      expect(m.peak, `${format}: live heap ${(m.peak / 1e6).toFixed(1)} MB for ${(m.bytes / 1e6).toFixed(1)} MB of output`).toBeLessThan(Math.min(16e6, m.bytes / 3)); // whole in memory would be ≥ bytes
    }
  }, 120_000);

  it('HDF5: h5py reads the channels, metadata, events and metrics back', async () => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station: simulatedStation(), device: 'H1' });
    const out = join(tempDir(), 'run.h5');
    await app.exportRunToFile(r.runId, 'hdf5', out);
    const py = `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
ch = f['channels']
print(json.dumps({
  'names': list(ch.keys()),
  'n': int(ch['i_read_A'].shape[0]),
  'sum': float(ch['i_read_A'][:].sum()),
  'unit': ch['i_read_A'].attrs['unit'] if isinstance(ch['i_read_A'].attrs['unit'], str) else ch['i_read_A'].attrs['unit'].decode(),
  'device': str(f.attrs['device']),
  'source': str(f.attrs['source']),
  'params': json.loads(f.attrs['params_json'])['cycles'],
  'events': int(f['events/t_s'].shape[0]),
  'kind0': f['events/kind'][0].decode() if isinstance(f['events/kind'][0], bytes) else str(f['events/kind'][0]),
  'metrics': [m.decode() if isinstance(m, bytes) else str(m) for m in f['metrics/id'][:]],
}))`;
    const got = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, out], { encoding: 'utf8' }));
    const i = readChannel(app.db, r.runId, 'i_read_A');
    expect(got.names.sort()).toEqual(['cycle', 'i_read_A', 'phase', 'pulse', 't_s', 'v_read_V']);
    expect(got.n).toBe(414);
    expect(got.sum).toBeCloseTo(i.reduce((a, b) => a + b, 0), 12);
    expect(got).toMatchObject({ unit: 'A', device: 'H1', source: 'simulated', params: 2, events: 400, kind0: 'pulse' });
    expect(got.metrics).toContain('nl.lsq3');
    await expect(app.exportRunToFile(r.runId, 'hdf5', out)).rejects.toThrow(/already exists; add --force/);
    await expect(app.exportRunToFile(r.runId, 'hdf5', app.dbPath)).rejects.toThrow(/database being read/);
  });
});

describe('names are shown, never interpreted', () => {
  it('terminal output turns escape sequences into visible text', () => {
    const table = formatRunsTable([{ id: 1, device: 'D\u001b[2J\u001b]0;pwned\u0007', protocolId: 'ltp-ltd', protocolVersion: '1.0.0', status: 'completed', startedAt: '2026-01-01T00:00:00Z', endedAt: null, endReason: null, samples: 1, source: 'measured' }]);
    const safe = terminalSafe(table);
    expect(safe).not.toMatch(/\u001b|\u0007/);
    expect(safe).toMatch(/D\^\[\[2J\^\[\]0;pwned\^G/);
    expect(terminalSafe('line one\nline\ttwo')).toBe('line one\nline\ttwo');
  });

  it('Markdown and HTML cards escape device names', async () => {
    const app = openApp();
    const name = '<img src=x onerror=alert(1)> *bold* | pipe';
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1 }, station: simulatedStation(), device: name });
    const md = app.cardMarkdown(r.runId);
    expect(md).not.toContain('<img');
    expect(md.split('\n')[0]).toBe('# Benchmark card: &lt;img src=x onerror=alert\\(1\\)&gt; \\*bold\\* \\| pipe'.replace(/\\\(/g, '(').replace(/\\\)/g, ')'));
    const html = app.cardHtml(r.runId);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
