// Exports a stored run for Python/MATLAB/spreadsheets, streamed in constant memory: the
// samples are read a few chunks at a time and written as they come. Formats: CSV (one
// column per channel, units in the header), JSON (one document), JSON Lines (one record
// per line) — here — and HDF5 (db/export-hdf5.ts).
// CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
// carriage return) are neutralised with a leading apostrophe; cells with delimiters,
// quotes or line breaks are quoted.

import { decodeFloat64LE } from './blob.ts';
import type { Db } from './database.ts';
import { type RunRecord, getRun, readMetrics } from './reader.ts';

import type { ExportFormat, TextExportFormat } from './export-formats.ts';
export { EXPORT_FORMATS, type ExportFormat, type TextExportFormat } from './export-formats.ts';

/** Rows per batch when streaming (bounded memory whatever the run's length). */
const BATCH_ROWS = 8192;
const CHUNKS_PER_QUERY = 8;

/** A text cell safe to open in a spreadsheet: never a formula, quoted when needed. */
export function csvCell(text: string): string {
  let s = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  if (/[",\n\r;]/.test(s) || s !== text) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** Reads one channel's samples in order, a few stored chunks at a time. */
export class ChannelCursor {
  private seq = 0;
  private buf = new Float64Array(0);
  private pos = 0;
  private done = false;
  private readonly stmt;

  constructor(
    db: Db,
    private readonly channelId: number,
  ) {
    this.stmt = db.prepare(`SELECT seq, data FROM chunks WHERE channel_id = ? AND seq >= ? ORDER BY seq LIMIT ${CHUNKS_PER_QUERY}`);
  }

  private refill(): void {
    const rows = this.stmt.all(this.channelId, this.seq) as { seq: number; data: Buffer }[];
    if (rows.length === 0) {
      this.done = true;
      return;
    }
    const total = rows.reduce((s, r) => s + r.data.length / 8, 0);
    const rest = this.buf.length - this.pos;
    const next = new Float64Array(rest + total);
    next.set(this.buf.subarray(this.pos), 0);
    let off = rest;
    for (const r of rows) {
      decodeFloat64LE(r.data, next, off);
      off += r.data.length / 8;
    }
    this.seq = rows[rows.length - 1].seq + 1;
    this.buf = next;
    this.pos = 0;
  }

  /** Up to `n` next samples (fewer at the end; empty when exhausted). */
  take(n: number): Float64Array {
    while (!this.done && this.buf.length - this.pos < n) this.refill();
    const end = Math.min(this.buf.length, this.pos + n);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }
}

/** All channels of a run, row batches in lockstep (a shorter channel yields NaN-free empty tails). */
export function* rowBatches(db: Db, run: RunRecord): Generator<Float64Array[]> {
  const ids = db.prepare('SELECT id FROM channels WHERE run_id = ? ORDER BY id').all(run.id) as { id: number }[];
  const cursors = ids.map((c) => new ChannelCursor(db, c.id));
  for (;;) {
    const cols = cursors.map((c) => c.take(BATCH_ROWS));
    if (cols.every((c) => c.length === 0)) return;
    yield cols;
  }
}

function* eventsOf(db: Db, runId: number): Generator<{ tS: number; kind: string; data: unknown }> {
  const stmt = db.prepare('SELECT id, t_s, kind, data_json FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT 4096');
  let last = 0;
  for (;;) {
    const rows = stmt.all(runId, last) as { id: number; t_s: number; kind: string; data_json: string | null }[];
    if (rows.length === 0) return;
    for (const r of rows) yield { tS: r.t_s, kind: r.kind, data: r.data_json ? (JSON.parse(r.data_json) as unknown) : null };
    last = rows[rows.length - 1].id;
  }
}

function runHeader(run: RunRecord): Record<string, unknown> {
  return { ...run, station: JSON.parse(run.station.json) as unknown };
}

const num = (v: number) => (Number.isFinite(v) ? String(v) : 'null');

export function* exportRunCsvParts(db: Db, runId: number): Generator<string> {
  const run = getRun(db, runId);
  const sim = run.simulation ? ` (simulated bench, seed ${String(run.simulation.seed)})` : '';
  yield csvCell(`# NeuroProbe run ${run.id}, device ${run.device}, ${run.protocolId} v${run.protocolVersion}, status ${run.status}, source ${run.source}${sim}`) + '\n';
  yield csvCell(`# parameters: ${JSON.stringify(run.params)}`) + '\n';
  yield run.channels.map((c) => csvCell(`${c.name} [${c.unit}]`)).join(',') + '\n';
  for (const cols of rowBatches(db, run)) {
    const n = Math.max(...cols.map((c) => c.length));
    const lines = new Array<string>(n);
    for (let i = 0; i < n; i++) lines[i] = cols.map((c) => (i < c.length ? String(c[i]) : '')).join(',');
    yield lines.join('\n') + '\n';
  }
}

export function* exportRunJsonParts(db: Db, runId: number): Generator<string> {
  const run = getRun(db, runId);
  yield `{"format":"neuroprobe.run-export","formatVersion":1,\n"run":${JSON.stringify(runHeader(run))},\n"channels":{`;
  const ids = db.prepare('SELECT id FROM channels WHERE run_id = ? ORDER BY id').all(runId) as { id: number }[];
  for (const [ci, c] of run.channels.entries()) {
    yield `${ci ? ',' : ''}\n${JSON.stringify(c.name)}:{"unit":${JSON.stringify(c.unit)},"description":${JSON.stringify(c.description)},"values":[`;
    const cursor = new ChannelCursor(db, ids[ci].id);
    let first = true;
    for (let v = cursor.take(BATCH_ROWS); v.length > 0; v = cursor.take(BATCH_ROWS)) {
      yield (first ? '' : ',') + Array.from(v, num).join(',');
      first = false;
    }
    yield ']}';
  }
  yield '},\n"events":[';
  let first = true;
  for (const e of eventsOf(db, runId)) {
    yield (first ? '\n' : ',\n') + JSON.stringify(e);
    first = false;
  }
  const { analysisVersion, metrics } = readMetrics(db, runId);
  yield `],\n"analysisVersion":${JSON.stringify(analysisVersion)},\n"metrics":${JSON.stringify(metrics)}}\n`;
}

/** JSON Lines: a `run` record, one `channel` record per channel, one `sample` record per row, then `event` and `metric` records. */
export function* exportRunJsonlParts(db: Db, runId: number): Generator<string> {
  const run = getRun(db, runId);
  yield JSON.stringify({ record: 'run', ...runHeader(run) }) + '\n';
  for (const c of run.channels) yield JSON.stringify({ record: 'channel', ...c }) + '\n';
  const names = run.channels.map((c) => JSON.stringify(c.name));
  let index = 0;
  for (const cols of rowBatches(db, run)) {
    const n = Math.max(...cols.map((c) => c.length));
    const lines = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      let line = `{"record":"sample","index":${index++}`;
      for (let k = 0; k < cols.length; k++) if (i < cols[k].length) line += `,${names[k]}:${num(cols[k][i])}`;
      lines[i] = line + '}';
    }
    yield lines.join('\n') + '\n';
  }
  for (const e of eventsOf(db, runId)) yield JSON.stringify({ record: 'event', ...e }) + '\n';
  const { analysisVersion, metrics } = readMetrics(db, runId);
  for (const m of metrics) yield JSON.stringify({ record: 'metric', analysisVersion, ...m }) + '\n';
}

export function exportRunParts(db: Db, runId: number, format: TextExportFormat): Generator<string> {
  return format === 'csv' ? exportRunCsvParts(db, runId) : format === 'json' ? exportRunJsonParts(db, runId) : exportRunJsonlParts(db, runId);
}

/** The whole export as one string (small runs, tests). */
export function exportRunText(db: Db, runId: number, format: TextExportFormat): string {
  return [...exportRunParts(db, runId, format)].join('');
}

export { eventsOf as exportEvents };
