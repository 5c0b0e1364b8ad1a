// Writes one run as it happens: catalogue rows at the start (before any instrument is
// contacted, so every attempt leaves a record), sample chunks and events batched into
// transactions (a crash loses at most the last flush window), checkpoints, metrics and
// the final status at the end. The run names its owning process and keeps a heartbeat,
// so other processes opening the database leave it alone while it lives.

import { createHash } from 'node:crypto';
import type { Metric } from '../analysis/metric.ts';
import { encodeFloat64LE } from './blob.ts';
import { summarise } from './summary.ts';
import type { Db } from './database.ts';
import { HEARTBEAT_MS, type Owner, thisProcess } from './ownership.ts';

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
  /** Known once the instruments have answered; see `setInstruments`. */
  instruments?: InstrumentRecord[];
  /** The simulated bench's settings (seed, device model, faults) when any instrument is simulated. */
  simulation?: Record<string, unknown> | null;
}

export interface InstrumentRecord {
  id: string;
  role: string;
  model: string;
  resource: string;
  idn: string;
  /** A NeuroProbe simulated instrument (default false). */
  simulated?: boolean;
  /** What the instrument reported at run start. */
  settings?: Record<string, number | string>;
}

/** What a checkpoint restores: the protocol's state and, on the simulated bench, the device's. */
export interface CheckpointRecord {
  samples: number;
  state: Record<string, number>;
  /** Samples per channel when the checkpoint was taken (absent in databases written before schema 3). */
  channelCounts: Record<string, number> | null;
  /** Largest event id of the run at the checkpoint (absent before schema 3). */
  lastEventId: number | null;
  simState: unknown;
}

export class RunClaimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeError';
  }
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
  queued: { seq: number; first: number; n: number; data: Buffer; summary: Buffer }[];
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
  // Station conditions live once in the run's station row (readMetrics adds them back), not in every metric.
  const station = db.prepare('SELECT s.json FROM runs r JOIN stations s ON s.id = r.station_id WHERE r.id = ?').get(runId) as { json: string } | undefined;
  const stationConditions: Record<string, unknown> = station ? ((JSON.parse(station.json) as { conditions?: Record<string, unknown> }).conditions ?? {}) : {};
  const ownConditions = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).filter(([k, v]) => !(k in stationConditions && stationConditions[k] === v)));
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
        JSON.stringify(ownConditions(m.conditions)),
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
  private heartbeat: NodeJS.Timeout | null = null;

  /**
   * Continues recording an existing run from a checkpoint (resume), in one transaction:
   * claims the run for this process (refused if another process has it or it is not
   * resumable), moves what was recorded after the checkpoint to the superseded tables,
   * and marks the resume with an event. Channels then grow from the checkpoint on.
   */
  static resume(db: Db, runId: number, checkpoint: CheckpointRecord | null, opts: RecorderOptions = {}): RunRecorder {
    db.transaction(() => {
      const o = thisProcess();
      const claimed = db
        .prepare(
          `UPDATE runs SET status = 'running', ended_at = NULL, owner_pid = ?, owner_host = ?, owner_start = ?, heartbeat_at = ?
           WHERE id = ? AND status IN ('interrupted', 'aborted', 'failed')`,
        )
        .run(o.pid, o.host, o.start, now(), runId);
      if (claimed.changes !== 1) {
        const r = db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string } | undefined;
        throw new RunClaimError(`run ${runId} is ${r?.status ?? 'missing'}; only an interrupted, aborted or failed run can be resumed${r?.status === 'running' ? ' (another process is recording it)' : ''}`);
      }
      supersedeAfter(db, runId, checkpoint);
      db.prepare('INSERT INTO events (run_id, t_s, kind, data_json) VALUES (?, ?, ?, ?)').run(
        runId,
        checkpoint?.state.offsetS ?? 0,
        'resume',
        JSON.stringify({ at: now(), fromCheckpoint: checkpoint ? checkpoint.state : null }),
      );
    })();
    return new RunRecorder(db, runId, opts);
  }

  constructor(
    private readonly db: Db,
    run: NewRun | number,
    opts: RecorderOptions = {},
  ) {
    this.chunkSamples = opts.chunkSamples ?? 8000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 500;
    // OR REPLACE: a partly filled chunk is written at each flush and rewritten as it grows (no small chunks).
    this.insertChunk = db.prepare('INSERT OR REPLACE INTO chunks (channel_id, seq, first_index, n, data, summary) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertEvent = db.prepare('INSERT INTO events (run_id, t_s, kind, data_json) VALUES (?, ?, ?, ?)');
    if (typeof run === 'number') {
      this.runId = run;
      const channels = db
        .prepare('SELECT c.id, c.name, COALESCE(MAX(k.seq) + 1, 0) AS seq, COALESCE(SUM(k.n), 0) AS written FROM channels c LEFT JOIN chunks k ON k.channel_id = c.id WHERE c.run_id = ? GROUP BY c.id')
        .all(run) as { id: number; name: string; seq: number; written: number }[];
      for (const c of channels) this.pending.set(c.name, { channelId: c.id, seq: c.seq, written: c.written, buf: new Float64Array(this.chunkSamples), fill: 0, queued: [] });
      this.startHeartbeat();
      return;
    }
    const owner: Owner = thisProcess();
    this.runId = db.transaction(() => {
      const deviceId = ensureDevice(db, run.device);
      const stationId = ensureStation(db, run.stationName, run.stationJson);
      const r = db
        .prepare(
          `INSERT INTO runs (device_id, station_id, protocol_id, protocol_version, params_json, software_version, started_at, status,
                             owner_pid, owner_host, owner_start, heartbeat_at, simulation_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
        )
        .run(
          deviceId,
          stationId,
          run.protocolId,
          run.protocolVersion,
          JSON.stringify(run.params),
          run.softwareVersion,
          now(),
          owner.pid,
          owner.host,
          owner.start,
          now(),
          run.simulation ? JSON.stringify(run.simulation) : null,
        );
      const runId = Number(r.lastInsertRowid);
      insertInstruments(db, runId, run.instruments ?? []);
      const insCh = db.prepare('INSERT INTO channels (run_id, name, unit, description) VALUES (?, ?, ?, ?)');
      for (const c of run.channels) {
        const id = Number(insCh.run(runId, c.name, c.unit, c.description).lastInsertRowid);
        this.pending.set(c.name, { channelId: id, seq: 0, written: 0, buf: new Float64Array(this.chunkSamples), fill: 0, queued: [] });
      }
      return runId;
    })();
    this.startHeartbeat();
  }

  private startHeartbeat(): void {
    const beat = this.db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?');
    this.heartbeat = setInterval(() => {
      if (!this.db.open) return this.stopHeartbeat();
      try {
        beat.run(now(), this.runId);
      } catch {
        // A busy or full database: the next beat tries again; the owner check on this host does not need it.
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Records the instruments as they answered (called when the run starts; replaces earlier rows on resume). */
  setInstruments(instruments: InstrumentRecord[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM run_instruments WHERE run_id = ?').run(this.runId);
      insertInstruments(this.db, this.runId, instruments);
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
        // Typed arrays are copied in one block (memcpy); plain arrays value by value.
        if (values instanceof Float64Array) p.buf.set(values.subarray(i, i + take), p.fill);
        else for (let j = 0; j < take; j++) p.buf[p.fill + j] = values[i + j];
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
    p.queued.push({ seq: p.seq++, first: p.written, n: p.fill, data, summary: summarise(p.buf, p.fill) });
    p.written += p.fill;
    this.queuedBytes += data.length;
    p.fill = 0;
  }

  /** Writes queued chunks (and, with `all`, the partial chunk of every channel) in one transaction. */
  flush(all = true): void {
    this.db.transaction(() => {
      for (const p of this.pending.values()) {
        for (const c of p.queued) this.insertChunk.run(p.channelId, c.seq, c.first, c.n, c.data, c.summary);
        p.queued = [];
        // The chunk being filled is stored as it is (crash-safe) and rewritten as it grows.
        if (all && p.fill > 0) this.insertChunk.run(p.channelId, p.seq, p.written, p.fill, encodeFloat64LE(p.buf, 0, p.fill), summarise(p.buf, p.fill));
      }
      for (const e of this.events) this.insertEvent.run(this.runId, e.tS, e.kind, e.data ? JSON.stringify(e.data) : null);
      this.events = [];
    })();
    this.queuedBytes = 0;
    this.lastFlush = Date.now();
  }

  /** Commits everything so far and records a point the run can be resumed from (with the simulated device's state, if any). */
  checkpoint(state: Record<string, number>, simState?: unknown): void {
    this.flush(true);
    const counts = Object.fromEntries([...this.pending.entries()].map(([name, p]) => [name, p.written + p.fill]));
    const samples = Math.max(0, ...Object.values(counts));
    const lastEvent = (this.db.prepare('SELECT MAX(id) AS m FROM events WHERE run_id = ?').get(this.runId) as { m: number | null }).m ?? 0;
    this.db
      .prepare('INSERT INTO checkpoints (run_id, created_at, samples, state_json, channel_counts_json, last_event_id, sim_state_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.runId, now(), samples, JSON.stringify(state), JSON.stringify(counts), lastEvent, simState === undefined ? null : JSON.stringify(simState));
  }

  finish(status: 'completed' | 'aborted' | 'failed', reason: string, metrics: Metric[], analysisVersion: string): void {
    this.stopHeartbeat();
    this.flush(true);
    insertMetrics(this.db, this.runId, analysisVersion, metrics);
    this.db.prepare('UPDATE runs SET status = ?, end_reason = ?, ended_at = ? WHERE id = ?').run(status, reason, now(), this.runId);
    this.finished = true;
  }

  /**
   * Last resort when the data can no longer be written (disk full, I/O error): stores
   * the final status and reason alone, which often still fits. Returns whether it did.
   */
  finishStatusOnly(status: 'completed' | 'aborted' | 'failed', reason: string): boolean {
    this.stopHeartbeat();
    this.finished = true;
    try {
      this.db.prepare('UPDATE runs SET status = ?, end_reason = ?, ended_at = ? WHERE id = ?').run(status, reason, now(), this.runId);
      return true;
    } catch {
      return false;
    }
  }
}

function insertInstruments(db: Db, runId: number, instruments: InstrumentRecord[]): void {
  const ins = db.prepare('INSERT INTO run_instruments (run_id, instrument_id, role, model, resource, idn, simulated, settings_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const i of instruments) ins.run(runId, i.id, i.role, i.model, i.resource, i.idn, i.simulated ? 1 : 0, i.settings ? JSON.stringify(i.settings) : null);
}

/**
 * Moves every sample and event recorded after `checkpoint` into the superseded tables
 * (a chunk straddling the checkpoint is split), so readers see exactly the data up to
 * the checkpoint and a resume continues from there. No checkpoint: everything moves.
 */
function supersedeAfter(db: Db, runId: number, checkpoint: CheckpointRecord | null): void {
  const t = now();
  const channels = db.prepare('SELECT id, name FROM channels WHERE run_id = ?').all(runId) as { id: number; name: string }[];
  const tail = db.prepare('SELECT id, first_index, n, data FROM chunks WHERE channel_id = ? AND first_index + n > ? ORDER BY seq');
  const keepSuperseded = db.prepare('INSERT INTO superseded_chunks (channel_id, first_index, n, data, superseded_at) VALUES (?, ?, ?, ?, ?)');
  const drop = db.prepare('DELETE FROM chunks WHERE id = ?');
  const cut = db.prepare('UPDATE chunks SET n = ?, data = ? WHERE id = ?');
  for (const c of channels) {
    const keep = checkpoint ? (checkpoint.channelCounts?.[c.name] ?? checkpoint.samples) : 0;
    for (const k of tail.all(c.id, keep) as { id: number; first_index: number; n: number; data: Buffer }[]) {
      if (k.first_index >= keep) {
        keepSuperseded.run(c.id, k.first_index, k.n, k.data, t);
        drop.run(k.id);
      } else {
        const head = keep - k.first_index;
        keepSuperseded.run(c.id, keep, k.n - head, k.data.subarray(head * 8), t);
        cut.run(head, k.data.subarray(0, head * 8), k.id);
      }
    }
  }
  // Events after the checkpoint; databases from before schema 3 know only the checkpoint's time.
  const lastId = checkpoint ? checkpoint.lastEventId : 0;
  const where = lastId !== null ? 'run_id = ? AND id > ?' : 'run_id = ? AND t_s > ?';
  const arg = lastId !== null ? lastId : (checkpoint?.state.offsetS ?? 0);
  db.prepare(`INSERT INTO superseded_events (run_id, t_s, kind, data_json, superseded_at) SELECT run_id, t_s, kind, data_json, ? FROM events WHERE ${where}`).run(t, runId, arg);
  db.prepare(`DELETE FROM events WHERE ${where}`).run(runId, arg);
}
