// The queue: runs to play one after another (devices × protocols, e.g. the same LTP/LTD
// on twenty devices of a die), stored in the database so it survives a restart. Playing
// takes the pending items in order; "stop after the current run" finishes the one
// playing and leaves the rest pending. An item whose run was interrupted by a crash is
// shown so, and can be resumed like any run.

import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { getProtocol } from '../protocols/registry.ts';
import { validateParams } from '../protocols/params.ts';

export const QueueAddSchema = z.strictObject({
  devices: z.array(z.string().min(1).max(200)).min(1).max(10_000),
  protocolId: z.string().min(1).max(100),
  params: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
});
export type QueueAdd = z.input<typeof QueueAddSchema>;

export interface QueueItem {
  id: number;
  position: number;
  device: string;
  protocolId: string;
  params: Record<string, number | string>;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'aborted' | 'interrupted' | 'skipped';
  runId: number | null;
  addedAt: string;
  note: string | null;
}

export class QueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** Device names from a die-map file: one per line, or the first column of a CSV (header and # comments skipped). */
export function devicesFromText(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r\n?|\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const first = line.split(/[,;\t]/)[0].trim().replace(/^"(.*)"$/, '$1');
    if (!first || /^device$/i.test(first)) continue;
    out.push(first);
  }
  return out;
}

export class QueueStore {
  constructor(private readonly db: Db) {
    // Items left "running" by a process that died: their run was interrupted too.
    db.prepare(`UPDATE queue_items SET status = 'interrupted', note = COALESCE(note, 'the process playing the queue ended') WHERE status = 'running' AND (run_id IS NULL OR run_id IN (SELECT id FROM runs WHERE status <> 'running'))`).run();
  }

  /** Adds one item per device, after the existing ones; parameters are validated now, not when their turn comes. */
  add(raw: QueueAdd): QueueItem[] {
    const a = QueueAddSchema.parse(raw);
    const protocol = getProtocol(a.protocolId);
    try {
      validateParams(protocol.params, a.params, protocol.id);
    } catch (e) {
      throw new QueueError((e as Error).message);
    }
    const last = (this.db.prepare('SELECT MAX(position) AS p FROM queue_items').get() as { p: number | null }).p ?? 0;
    const ins = this.db.prepare(`INSERT INTO queue_items (position, device, protocol_id, params_json, status, added_at) VALUES (?, ?, ?, ?, 'pending', ?)`);
    const now = new Date().toISOString();
    const ids = this.db.transaction(() => a.devices.map((d, i) => Number(ins.run(last + i + 1, d, protocol.id, JSON.stringify(a.params), now).lastInsertRowid)))();
    return ids.map((id) => this.get(id));
  }

  list(): QueueItem[] {
    return (this.db.prepare('SELECT * FROM queue_items ORDER BY position').all() as Record<string, unknown>[]).map(rowToItem);
  }

  get(id: number): QueueItem {
    const r = this.db.prepare('SELECT * FROM queue_items WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) throw new QueueError(`queue item ${id} does not exist`);
    return rowToItem(r);
  }

  nextPending(): QueueItem | null {
    const r = this.db.prepare(`SELECT * FROM queue_items WHERE status = 'pending' ORDER BY position LIMIT 1`).get() as Record<string, unknown> | undefined;
    return r ? rowToItem(r) : null;
  }

  mark(id: number, status: QueueItem['status'], runId: number | null, note: string | null): void {
    this.db.prepare('UPDATE queue_items SET status = ?, run_id = COALESCE(?, run_id), note = ? WHERE id = ?').run(status, runId, note, id);
  }

  /** Removes pending items (or all items that are not running with `all`). */
  clear(all = false): number {
    return this.db.prepare(all ? `DELETE FROM queue_items WHERE status <> 'running'` : `DELETE FROM queue_items WHERE status = 'pending'`).run().changes;
  }

  remove(id: number): void {
    const item = this.get(id);
    if (item.status === 'running') throw new QueueError(`queue item ${id} is running; abort its run first`);
    this.db.prepare('DELETE FROM queue_items WHERE id = ?').run(id);
  }

  /** Moves an item to just before another one (or to the end). */
  move(id: number, beforeId: number | null): void {
    this.get(id);
    let pos: number;
    if (beforeId === null) pos = ((this.db.prepare('SELECT MAX(position) AS p FROM queue_items').get() as { p: number }).p ?? 0) + 1;
    else {
      const before = this.get(beforeId);
      const prev = (this.db.prepare('SELECT MAX(position) AS p FROM queue_items WHERE position < ?').get(before.position) as { p: number | null }).p ?? before.position - 1;
      pos = (prev + before.position) / 2;
    }
    this.db.prepare('UPDATE queue_items SET position = ? WHERE id = ?').run(pos, id);
  }
}

function rowToItem(r: Record<string, unknown>): QueueItem {
  return {
    id: r.id as number,
    position: r.position as number,
    device: r.device as string,
    protocolId: r.protocol_id as string,
    params: JSON.parse(r.params_json as string) as Record<string, number | string>,
    status: r.status as QueueItem['status'],
    runId: (r.run_id as number | null) ?? null,
    addedAt: r.added_at as string,
    note: (r.note as string | null) ?? null,
  };
}
