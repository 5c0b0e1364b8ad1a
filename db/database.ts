// Opens (or creates) a NeuroProbe database: WAL journal, foreign keys, migrations (in
// one exclusive transaction, so processes creating the same file at once do not race),
// and crash recovery — a run still `running` whose owning process is gone was
// interrupted, and is marked so. A live run (its owner alive) is left alone.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { ownerAlive } from './ownership.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

export type Db = Database.Database;

export class DatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseError';
  }
}

export interface OpenOptions {
  /** Refuse to create a new file (for read commands like `runs` and `show`). */
  mustExist?: boolean;
  readonly?: boolean;
}

export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  if (opts.mustExist && path !== ':memory:' && !existsSync(path)) {
    throw new DatabaseError(`database ${path} does not exist (run a protocol first, or pass --db)`);
  }
  let db: Db;
  try {
    // timeout: wait up to 10 s for another process's write (a live run commits every 0.5 s).
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.mustExist ?? false, timeout: 10_000 });
    // 64 KiB pages (only takes effect on a new, empty file): a sample chunk of 8000
    // float64 values then fits one page instead of a chain of overflow pages.
    if (!opts.readonly) db.pragma('page_size = 65536');
    if (!opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (e) {
    throw new DatabaseError(`cannot open database ${path}: ${(e as Error).message}`);
  }
  try {
    const version = currentVersion(db, path);
    if (version > SCHEMA_VERSION) {
      throw new DatabaseError(`database ${path} has schema version ${version}, newer than this NeuroProbe understands (${SCHEMA_VERSION}); upgrade NeuroProbe`);
    }
    if (!opts.readonly) {
      if (version < SCHEMA_VERSION) migrate(db, path);
      markOrphanedRuns(db);
    }
  } catch (e) {
    db.close();
    if (e instanceof DatabaseError) throw e;
    throw new DatabaseError(`cannot open database ${path}: ${(e as Error).message}`);
  }
  return db;
}

/** Marks `interrupted` every `running` run whose owning process is gone; returns their ids. */
export function markOrphanedRuns(db: Db): number[] {
  const running = db.prepare(`SELECT id, owner_pid AS pid, owner_host AS host, owner_start AS start, heartbeat_at AS heartbeatAt FROM runs WHERE status = 'running'`).all() as {
    id: number;
    pid: number | null;
    host: string | null;
    start: string | null;
    heartbeatAt: string | null;
  }[];
  const orphaned = running.filter((r) => !ownerAlive(r)).map((r) => r.id);
  const mark = db.prepare(
    `UPDATE runs SET status = 'interrupted', end_reason = 'the process recording it ended before the run finished (found at a later open)', ended_at = COALESCE(ended_at, heartbeat_at, ?) WHERE id = ? AND status = 'running'`,
  );
  const t = new Date().toISOString();
  for (const id of orphaned) mark.run(t, id);
  return orphaned;
}

function currentVersion(db: Db, path: string): number {
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
  if (!hasMeta) {
    const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number };
    if (tables.n > 0) throw new DatabaseError(`${path} is an SQLite file but not a NeuroProbe database (no meta table)`);
    return 0;
  }
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

/** Applies the missing migrations in one exclusive transaction; the version is read again inside it, so a concurrent opener's work is not repeated. */
function migrate(db: Db, path: string): void {
  db.transaction(() => {
    const from = currentVersion(db, path);
    if (from >= SCHEMA_VERSION) return;
    for (let v = from; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
    db.prepare(`INSERT INTO meta (key, value) VALUES ('format', 'neuroprobe-sqlite') ON CONFLICT (key) DO NOTHING`).run();
  }).exclusive();
}
