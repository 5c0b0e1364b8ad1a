// Writes one run as it happens: catalogue rows at the start, sample chunks and events
// batched into transactions (a crash loses at most the last flush window), metrics and
// the final status at the end.

import { createHash } from 'node:crypto';
import type { Metric } from '../analysis/metric.ts';
import { encodeFloat64LE } from './blob.ts';
import type { Db } from './database.ts';

export interface ChannelDef {
  name: string;
  unit: string;
  description: string;
}

export interface NewRun {
  device: string;
  stationName: string;
  stationJson: string;
  protocolId: string;
  protocolVersion: string;
  params: Record<string, number | string>;
  softwareVersion: string;
  channels: ChannelDef[];
  instruments: { id: string; role: string; model: string; resource: string; idn: string }[];
}

export interface RecorderOptions {
  /** Samples per stored chunk. */
  chunkSamples?: number;
  /** Flush to disk at least this often while data arrives. */
  flushIntervalMs?: number;
}

interface Pending {
  channelId: number;
  seq: number;
  /** Samples already handed to a chunk (stored or queued). */
  written: number;
  /** The chunk being filled. */
  buf: Float64Array;
  fill: number;
  /** Full chunks waiting for the next transaction. */
  queued: { seq: number; first: number; n: number; data: Buffer }[];
}

const now = () => new Date().toISOString();
/** Bound on sealed-but-unwritten chunk bytes between time-based flushes. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

export function ensureDevice(db: Db, name: string): number {
  db.prepare('INSERT INTO devices (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, now());
  return (db.prepare('SELECT id FROM devices WHERE name = ?').get(name) as { id: number }).id;
}

function ensureStation(db: Db, name: string, json: string): number {
  const sha = createHash('sha256').update(json).digest('hex');
  db.prepare('INSERT INTO stations (name, json, sha256, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING').run(name, json, sha, now());
  return (db.prepare('SELECT id FROM stations WHERE sha256 = ?').get(sha) as { id: number }).id;
}

export function insertMetrics(db: Db, runId: number, analysisVersion: string, metrics: Metric[]): void {
  const ins = db.prepare(
    `INSERT INTO metrics (run_id, analysis_version, metric_id, qualifier, convention, status, value, stderr, unit, method,
       conditions_json, quality_json, extra_json, missing_reason, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const t = now();
  db.transaction(() => {
    // One set of metrics per run and analysis version: a new analysis replaces the old one.
    db.prepare('DELETE FROM metrics WHERE run_id = ? AND analysis_version = ?').run(runId, analysisVersion);
    for (const m of metrics) {
      const isValue = m.status === 'value';
      ins.run(
        runId,
        analysisVersion,
        m.id,
        m.qualifier ?? null,
        m.convention ?? null,
        m.status,
        isValue ? m.value : null,
        isValue && m.stderr !== undefined && Number.isFinite(m.stderr) ? m.stderr : null,
        m.unit,
        m.method,
        JSON.stringify(m.conditions),
        isValue && m.quality ? JSON.stringify(m.quality) : null,
        isValue && m.extra ? JSON.stringify(m.extra) : null,
        isValue ? null : m.reason,
        t,
      );
    }
  })();
}

export class RunRecorder {
  readonly runId: number;
  private readonly pending = new Map<string, Pending>();
  private events: { tS: number; kind: string; data?: Record<string, unknown> }[] = [];
  private lastFlush = Date.now();
  private queuedBytes = 0;
  private readonly chunkSamples: number;
  private readonly flushIntervalMs: number;
  private readonly insertChunk;
  private readonly insertEvent;
  private finished = false;

  /** Continues recording an existing run (resume): its channels keep growing where they ended. */
  static reopen(db: Db, runId: number, opts: RecorderOptions = {}): RunRecorder {
    return new RunRecorder(db, runId, opts);
  }

  constructor(
    private readonly db: Db,
    run: NewRun | number,
    opts: RecorderOptions = {},
  ) {
    this.chunkSamples = opts.chunkSamples ?? 8000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 500;
    this.insertChunk = db.prepare('INSERT INTO chunks (channel_id, seq, first_index, n, data) VALUES (?, ?, ?, ?, ?)');
    this.insertEvent = db.prepare('INSERT INTO events (run_id, t_s, kind, data_json) VALUES (?, ?, ?, ?)');
    if (typeof run === 'number') {
      this.runId = run;
      const channels = db
        .prepare('SELECT c.id, c.name, COALESCE(MAX(k.seq) + 1, 0) AS seq, COALESCE(SUM(k.n), 0) AS written FROM channels c LEFT JOIN chunks k ON k.channel_id = c.id WHERE c.run_id = ? GROUP BY c.id')
        .all(run) as { id: number; name: string; seq: number; written: number }[];
      for (const c of channels) this.pending.set(c.name, { channelId: c.id, seq: c.seq, written: c.written, buf: new Float64Array(this.chunkSamples), fill: 0, queued: [] });
      db.prepare(`UPDATE runs SET status = 'running', ended_at = NULL WHERE id = ?`).run(run);
      return;
    }
    this.runId = db.transaction(() => {
      const deviceId = ensureDevice(db, run.device);
      const stationId = ensureStation(db, run.stationName, run.stationJson);
      const r = db
        .prepare(
          `INSERT INTO runs (device_id, station_id, protocol_id, protocol_version, params_json, software_version, started_at, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`,
        )
        .run(deviceId, stationId, run.protocolId, run.protocolVersion, JSON.stringify(run.params), run.softwareVersion, now());
      const runId = Number(r.lastInsertRowid);
      const insInst = db.prepare('INSERT INTO run_instruments (run_id, instrument_id, role, model, resource, idn) VALUES (?, ?, ?, ?, ?, ?)');
      for (const i of run.instruments) insInst.run(runId, i.id, i.role, i.model, i.resource, i.idn);
      const insCh = db.prepare('INSERT INTO channels (run_id, name, unit, description) VALUES (?, ?, ?, ?)');
      for (const c of run.channels) {
        const id = Number(insCh.run(runId, c.name, c.unit, c.description).lastInsertRowid);
        this.pending.set(c.name, { channelId: id, seq: 0, written: 0, buf: new Float64Array(this.chunkSamples), fill: 0, queued: [] });
      }
      return runId;
    })();
  }

  append(channels: Record<string, ArrayLike<number>>, events: { tS: number; kind: string; data?: Record<string, unknown> }[] = []): void {
    if (this.finished) throw new Error(`run ${this.runId} is already finished`);
    for (const [name, values] of Object.entries(channels)) {
      const p = this.pending.get(name);
      if (!p) throw new Error(`run ${this.runId} has no channel "${name}"`);
      let i = 0;
      while (i < values.length) {
        const take = Math.min(values.length - i, this.chunkSamples - p.fill);
        for (let j = 0; j < take; j++) p.buf[p.fill + j] = values[i + j];
        p.fill += take;
        i += take;
        if (p.fill === this.chunkSamples) this.seal(p);
      }
    }
    for (const e of events) this.events.push(e);
    if (Date.now() - this.lastFlush >= this.flushIntervalMs) this.flush(true);
    else if (this.queuedBytes >= MAX_QUEUED_BYTES) this.flush(false);
  }

  /** Turns the chunk being filled into a queued BLOB (little-endian float64). */
  private seal(p: Pending): void {
    const data = encodeFloat64LE(p.buf, 0, p.fill);
    p.queued.push({ seq: p.seq++, first: p.written, n: p.fill, data });
    p.written += p.fill;
    this.queuedBytes += data.length;
    p.fill = 0;
  }

  /** Writes queued chunks (and, with `all`, the partial chunk of every channel) in one transaction. */
  flush(all = true): void {
    this.db.transaction(() => {
      for (const p of this.pending.values()) {
        if (all && p.fill > 0) this.seal(p);
        for (const c of p.queued) this.insertChunk.run(p.channelId, c.seq, c.first, c.n, c.data);
        p.queued = [];
      }
      for (const e of this.events) this.insertEvent.run(this.runId, e.tS, e.kind, e.data ? JSON.stringify(e.data) : null);
      this.events = [];
    })();
    this.queuedBytes = 0;
    this.lastFlush = Date.now();
  }

  /** Commits everything so far and records a point the run can be resumed from. */
  checkpoint(state: Record<string, number>): void {
    this.flush(true);
    const samples = Math.max(0, ...[...this.pending.values()].map((p) => p.written));
    this.db.prepare('INSERT INTO checkpoints (run_id, created_at, samples, state_json) VALUES (?, ?, ?, ?)').run(this.runId, now(), samples, JSON.stringify(state));
  }

  finish(status: 'completed' | 'aborted' | 'failed', reason: string, metrics: Metric[], analysisVersion: string): void {
    this.flush(true);
    insertMetrics(this.db, this.runId, analysisVersion, metrics);
    this.db.prepare('UPDATE runs SET status = ?, end_reason = ?, ended_at = ? WHERE id = ?').run(status, reason, now(), this.runId);
    this.finished = true;
  }
}
