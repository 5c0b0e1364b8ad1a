// Reads runs back: the catalogue, whole channels as Float64Array, events and metrics.

import type { Metric } from '../analysis/metric.ts';
import { decodeFloat64LE } from './blob.ts';
import type { Db } from './database.ts';
import type { CheckpointRecord } from './recorder.ts';

export interface RunSummary {
  id: number;
  device: string;
  protocolId: string;
  protocolVersion: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  samples: number;
  /** Where the data came from: the simulated bench, real instruments, or an imported file. */
  source: RunSource;
}

export type RunSource = 'simulated' | 'measured' | 'imported';

export interface RunRecord extends RunSummary {
  params: Record<string, number | string>;
  softwareVersion: string;
  station: { name: string; json: string };
  instruments: { instrument_id: string; role: string; model: string; resource: string; idn: string; simulated: number; settings_json: string | null }[];
  /** The simulated bench's settings (seed, device model, faults) when the run was simulated. */
  simulation: Record<string, unknown> | null;
  /** Station measurement conditions, stored once per run and shown with every metric. */
  stationConditions: Record<string, number | string>;
  channels: { name: string; unit: string; description: string; samples: number }[];
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

const SUMMARY_SQL = `
  SELECT r.id, d.name AS device, r.protocol_id AS protocolId, r.protocol_version AS protocolVersion, r.status,
         r.started_at AS startedAt, r.ended_at AS endedAt, r.end_reason AS endReason,
         COALESCE((SELECT SUM(k.n) FROM chunks k JOIN channels c ON c.id = k.channel_id
                   WHERE c.run_id = r.id AND c.id = (SELECT MIN(id) FROM channels WHERE run_id = r.id)), 0) AS samples,
         CASE WHEN r.protocol_id = 'imported' THEN 'imported'
              WHEN r.simulation_json IS NOT NULL OR EXISTS (SELECT 1 FROM run_instruments i WHERE i.run_id = r.id AND i.simulated = 1) THEN 'simulated'
              ELSE 'measured' END AS source
  FROM runs r JOIN devices d ON d.id = r.device_id`;

export interface RunFilter {
  device?: string;
  protocol?: string;
  status?: string;
  source?: 'simulated' | 'measured' | 'imported';
  /** ISO 8601 lower bound of the start time (inclusive). */
  since?: string;
  /** ISO 8601 upper bound of the start time (inclusive). */
  until?: string;
}

/** Runs, optionally filtered (device name with * wildcards, protocol, status, source, started within [since, until]). */
export function findRuns(db: Db, filter: RunFilter = {}): RunSummary[] {
  const device = filter.device ? new RegExp(`^${filter.device.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`) : null;
  return listRuns(db).filter(
    (r) =>
      (!device || device.test(r.device)) &&
      (!filter.protocol || r.protocolId === filter.protocol) &&
      (!filter.status || r.status === filter.status) &&
      (!filter.source || r.source === filter.source) &&
      (!filter.since || r.startedAt >= filter.since) &&
      (!filter.until || r.startedAt <= filter.until),
  );
}

export function listRuns(db: Db): RunSummary[] {
  return db.prepare(`${SUMMARY_SQL} ORDER BY r.id`).all() as RunSummary[];
}

/** The station conditions of a stored station JSON ({} when it has none or is unreadable). */
function stationConditionsOf(json: string): Record<string, number | string> {
  try {
    return (JSON.parse(json) as { conditions?: Record<string, number | string> }).conditions ?? {};
  } catch {
    return {};
  }
}

export function getRun(db: Db, runId: number): RunRecord {
  const s = db.prepare(`${SUMMARY_SQL} WHERE r.id = ?`).get(runId) as RunSummary | undefined;
  if (!s) {
    const last = db.prepare('SELECT MAX(id) AS m FROM runs').get() as { m: number | null };
    throw new NotFoundError(`run ${runId} does not exist in this database${last.m ? ` (runs are 1..${last.m})` : ' (it has no runs yet)'}`);
  }
  const r = db
    .prepare(`SELECT r.params_json, r.software_version, r.simulation_json, s.name AS station_name, s.json AS station_json FROM runs r JOIN stations s ON s.id = r.station_id WHERE r.id = ?`)
    .get(runId) as { params_json: string; software_version: string; simulation_json: string | null; station_name: string; station_json: string };
  return {
    ...s,
    params: JSON.parse(r.params_json) as Record<string, number | string>,
    softwareVersion: r.software_version,
    station: { name: r.station_name, json: r.station_json },
    simulation: r.simulation_json ? (JSON.parse(r.simulation_json) as Record<string, unknown>) : null,
    stationConditions: stationConditionsOf(r.station_json),
    instruments: db.prepare('SELECT instrument_id, role, model, resource, idn, simulated, settings_json FROM run_instruments WHERE run_id = ? ORDER BY instrument_id').all(runId) as RunRecord['instruments'],
    channels: db
      .prepare('SELECT c.name, c.unit, c.description, COALESCE(SUM(k.n), 0) AS samples FROM channels c LEFT JOIN chunks k ON k.channel_id = c.id WHERE c.run_id = ? GROUP BY c.id ORDER BY c.id')
      .all(runId) as RunRecord['channels'],
  };
}

export function readChannel(db: Db, runId: number, name: string): Float64Array {
  const ch = db.prepare('SELECT id FROM channels WHERE run_id = ? AND name = ?').get(runId, name) as { id: number } | undefined;
  if (!ch) throw new NotFoundError(`run ${runId} has no channel "${name}"`);
  const rows = db.prepare('SELECT first_index, n, data FROM chunks WHERE channel_id = ? ORDER BY seq').all(ch.id) as { first_index: number; n: number; data: Buffer }[];
  const total = rows.reduce((s, r) => s + r.n, 0);
  const out = new Float64Array(total);
  for (const r of rows) decodeFloat64LE(r.data, out, r.first_index);
  return out;
}

export function readAllChannels(db: Db, runId: number): Record<string, Float64Array> {
  const names = db.prepare('SELECT name FROM channels WHERE run_id = ? ORDER BY id').all(runId) as { name: string }[];
  return Object.fromEntries(names.map(({ name }) => [name, readChannel(db, runId, name)]));
}

export function readEvents(db: Db, runId: number): { tS: number; kind: string; data: Record<string, unknown> | null }[] {
  const rows = db.prepare('SELECT t_s, kind, data_json FROM events WHERE run_id = ? ORDER BY t_s, id').all(runId) as { t_s: number; kind: string; data_json: string | null }[];
  return rows.map((r) => ({ tS: r.t_s, kind: r.kind, data: r.data_json ? (JSON.parse(r.data_json) as Record<string, unknown>) : null }));
}

/** Metrics of the newest analysis version stored for the run (or of the one named). */
export function readMetrics(db: Db, runId: number, analysisVersion?: string): { analysisVersion: string | null; metrics: Metric[] } {
  const version =
    analysisVersion ??
    (db.prepare('SELECT analysis_version FROM metrics WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId) as { analysis_version: string } | undefined)?.analysis_version;
  if (!version) return { analysisVersion: null, metrics: [] };
  const rows = db.prepare('SELECT * FROM metrics WHERE run_id = ? AND analysis_version = ? ORDER BY id').all(runId, version) as Record<string, unknown>[];
  // Station conditions are stored once with the run's station, not in every metric row.
  const station = db.prepare('SELECT s.json FROM runs r JOIN stations s ON s.id = r.station_id WHERE r.id = ?').get(runId) as { json: string } | undefined;
  const stationConditions = station ? stationConditionsOf(station.json) : {};
  const metrics = rows.map((r): Metric => {
    const base = {
      id: r.metric_id as string,
      ...(r.qualifier !== null ? { qualifier: r.qualifier as string } : {}),
      ...(r.convention !== null ? { convention: r.convention as string } : {}),
      unit: r.unit as string,
      method: r.method as string,
      conditions: { ...JSON.parse(r.conditions_json as string), ...stationConditions },
    };
    if (r.status === 'missing') return { ...base, status: 'missing', reason: r.missing_reason as string };
    return {
      ...base,
      status: 'value',
      value: r.value as number,
      ...(r.stderr !== null ? { stderr: r.stderr as number } : {}),
      ...(r.quality_json ? { quality: JSON.parse(r.quality_json as string) } : {}),
      ...(r.extra_json ? { extra: JSON.parse(r.extra_json as string) } : {}),
    };
  });
  return { analysisVersion: version, metrics };
}

export function lastCheckpoint(db: Db, runId: number): CheckpointRecord | null {
  const row = db.prepare('SELECT samples, state_json, channel_counts_json, last_event_id, sim_state_json FROM checkpoints WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId) as
    | { samples: number; state_json: string; channel_counts_json: string | null; last_event_id: number | null; sim_state_json: string | null }
    | undefined;
  if (!row) return null;
  return {
    samples: row.samples,
    state: JSON.parse(row.state_json) as Record<string, number>,
    channelCounts: row.channel_counts_json ? (JSON.parse(row.channel_counts_json) as Record<string, number>) : null,
    lastEventId: row.last_event_id,
    simState: row.sim_state_json ? (JSON.parse(row.sim_state_json) as unknown) : null,
  };
}
