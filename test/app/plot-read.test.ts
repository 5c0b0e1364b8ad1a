import { describe, expect, it } from 'vitest';
import { decimateMinMax } from '../../analysis/decimate.ts';
import { plotRead } from '../../app/plot-read.ts';
import { openDatabase } from '../../db/database.ts';
import { readChannel } from '../../db/reader.ts';
import { RunRecorder } from '../../db/recorder.ts';

function record(n: number, batch = 7919) {
  const db = openDatabase(':memory:');
  const rec = new RunRecorder(db, {
    device: 'P', stationName: 's', stationJson: '{}', protocolId: 'test', protocolVersion: '0', params: {}, softwareVersion: 't',
    channels: [{ name: 't_s', unit: 's', description: 't' }, { name: 'y', unit: 'A', description: 'y' }],
    instruments: [],
  });
  let state = 1;
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    const t = Array.from({ length: m }, (_, k) => (i + k) * 1e-3);
    const y = Array.from({ length: m }, (_, k) => {
      state = (state * 16807) % 2147483647;
      return i + k === 123_457 ? 50 : Math.sin((i + k) / 5000) + state / 2147483647 / 10;
    });
    rec.append({ t_s: t, y });
    rec.flush(true); // partly filled chunks are written and then rewritten as they grow
  }
  rec.finish('completed', 'test', [], 't');
  return { db, runId: rec.runId };
}

describe('plot reads through the chunk summaries', () => {
  it('a wide view keeps every extreme, spans the whole x-range and stays within the requested points', () => {
    const { db, runId } = record(400_000);
    // 200 points over 400 000 samples: built from the block summaries.
    const xy = plotRead(db, runId, 'y', 't_s', 200);
    expect(xy.x.length).toBeLessThanOrEqual(200);
    expect(Math.max(...xy.y)).toBe(50); // the single-sample spike survives
    const y = readChannel(db, runId, 'y');
    expect(Math.min(...xy.y)).toBe(y.reduce((a, b) => Math.min(a, b), Infinity));
    expect(xy.x[0]).toBe(0);
    expect(xy.x[xy.x.length - 1]).toBeCloseTo(399.999, 9);
    // x never runs backwards.
    for (let i = 1; i < xy.x.length; i++) expect(xy.x[i]).toBeGreaterThanOrEqual(xy.x[i - 1]);
    // The store holds whole chunks (no small chunk per flush): 400 000 / 8000 = 50 per channel.
    expect((db.prepare('SELECT COUNT(*) AS c FROM chunks').get() as { c: number }).c).toBe(100);
  });

  it('a narrow view is the exact decimation of the samples in range', () => {
    const { db, runId } = record(200_000);
    const t = readChannel(db, runId, 't_s');
    const y = readChannel(db, runId, 'y');
    const keep = Array.from(t.keys()).filter((i) => t[i] >= 100 && t[i] <= 103);
    const exact = decimateMinMax(keep.map((i) => t[i]), keep.map((i) => y[i]), 500);
    expect(plotRead(db, runId, 'y', 't_s', 500, [100, 103])).toEqual(exact);
    // Against the index: the same samples.
    expect(plotRead(db, runId, 'y', undefined, 500, [100_000, 103_000]).y).toEqual(decimateMinMax(Float64Array.from({ length: 3001 }, (_, k) => 100_000 + k), y.subarray(100_000, 103_001), 500).y);
  });
});
