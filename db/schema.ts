// SQLite schema and migrations. Samples are stored per channel as chunked
// little-endian float64 BLOBs (see FORMAT.md): never a row per sample, never one
// giant BLOB. `meta.schema_version` counts applied migrations.

export const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    json TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    protocol_id TEXT NOT NULL,
    protocol_version TEXT NOT NULL,
    params_json TEXT NOT NULL,
    software_version TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'aborted', 'failed', 'interrupted')),
    end_reason TEXT
  );
  CREATE TABLE run_instruments (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    instrument_id TEXT NOT NULL,
    role TEXT NOT NULL,
    model TEXT NOT NULL,
    resource TEXT NOT NULL,
    idn TEXT NOT NULL,
    PRIMARY KEY (run_id, instrument_id)
  );
  CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    description TEXT NOT NULL,
    UNIQUE (run_id, name)
  );
  -- A rowid table on purpose: its leaf pages hold a 64 000-byte BLOB locally with
  -- 64 KiB pages, where a WITHOUT ROWID (index b-tree) row would spill to overflow pages.
  CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    first_index INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (channel_id, seq)
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    kind TEXT NOT NULL,
    data_json TEXT
  );
  CREATE INDEX events_by_run ON events (run_id, t_s);
  CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    analysis_version TEXT NOT NULL,
    metric_id TEXT NOT NULL,
    qualifier TEXT,
    convention TEXT,
    status TEXT NOT NULL CHECK (status IN ('value', 'missing')),
    value REAL,
    stderr REAL,
    unit TEXT NOT NULL,
    method TEXT NOT NULL,
    conditions_json TEXT NOT NULL,
    quality_json TEXT,
    extra_json TEXT,
    missing_reason TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX metrics_by_run ON metrics (run_id, analysis_version);
  `,
  // 2: checkpoints a run can be resumed from.
  `
  CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    samples INTEGER NOT NULL,
    state_json TEXT NOT NULL
  );
  CREATE INDEX checkpoints_by_run ON checkpoints (run_id, id);
  `,
  // 3: run ownership (a live run is never marked interrupted by another process),
  // provenance (simulated or measured), station conditions once per run, exact resume
  // (per-channel counts and the simulated bench's state at each checkpoint; samples and
  // events a resume re-measures move to superseded_* tables, out of every reader's way).
  `
  ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
  ALTER TABLE runs ADD COLUMN owner_host TEXT;
  ALTER TABLE runs ADD COLUMN owner_start TEXT;
  ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
  ALTER TABLE runs ADD COLUMN simulation_json TEXT;
  ALTER TABLE run_instruments ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE checkpoints ADD COLUMN channel_counts_json TEXT;
  ALTER TABLE checkpoints ADD COLUMN last_event_id INTEGER;
  ALTER TABLE checkpoints ADD COLUMN sim_state_json TEXT;
  CREATE TABLE superseded_chunks (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    first_index INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL,
    superseded_at TEXT NOT NULL
  );
  CREATE TABLE superseded_events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    kind TEXT NOT NULL,
    data_json TEXT,
    superseded_at TEXT NOT NULL
  );
  `,
  // 4: the queue of runs to play (devices × protocols), kept across restarts.
  `
  CREATE TABLE queue_items (
    id INTEGER PRIMARY KEY,
    position REAL NOT NULL,
    device TEXT NOT NULL,
    protocol_id TEXT NOT NULL,
    params_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'aborted', 'interrupted', 'skipped')),
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    added_at TEXT NOT NULL,
    note TEXT
  );
  CREATE INDEX queue_by_position ON queue_items (position);
  `,
  // 5: the settings each instrument reported at run start (mains frequency, firmware, …).
  `
  ALTER TABLE run_instruments ADD COLUMN settings_json TEXT;
  `,
  // 6: min/max summaries beside each chunk (db/summary.ts), for plots of any length; an
  // index that finds the chunks of an index range without reading their samples.
  `
  ALTER TABLE chunks ADD COLUMN summary BLOB;
  CREATE INDEX chunks_by_first_index ON chunks (channel_id, first_index, n);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
