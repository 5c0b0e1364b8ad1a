// Who owns a live run. A run being recorded names its process (pid, host, and the
// process's start time, so a recycled pid is not mistaken for the owner) and keeps a
// heartbeat. Opening a database marks `interrupted` only runs whose owner is gone:
// on this host, a process that no longer exists (or is another process with the same
// pid); on another host (a shared network folder), a heartbeat older than STALE_MS.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface Owner {
  pid: number;
  host: string;
  /** Process start time as the OS reports it (Linux: /proc/<pid>/stat field 22), or '' where unknown. */
  start: string;
}

/** A heartbeat older than this means the owner on another host is gone. */
export const STALE_MS = 2 * 60_000;
/** How often a live run refreshes its heartbeat. */
export const HEARTBEAT_MS = 5_000;

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

let self: Owner | null = null;

export function thisProcess(): Owner {
  self ??= { pid: process.pid, host: hostname(), start: processStart(process.pid) ?? '' };
  return self;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the recorded owner of a run is still alive (false only when we can tell it is gone). */
export function ownerAlive(owner: { pid: number | null; host: string | null; start: string | null; heartbeatAt: string | null }, nowMs = Date.now()): boolean {
  // Runs recorded before ownership existed have no owner: the old rule (gone at next open) applies.
  if (owner.pid === null || owner.host === null) return false;
  const me = thisProcess();
  if (owner.host === me.host) {
    if (owner.pid === me.pid && owner.start === me.start) return true;
    if (!pidExists(owner.pid)) return false;
    if (owner.start) {
      const start = processStart(owner.pid);
      if (start !== null) return start === owner.start;
    }
    return true;
  }
  const beat = owner.heartbeatAt ? Date.parse(owner.heartbeatAt) : NaN;
  return Number.isFinite(beat) && nowMs - beat < STALE_MS;
}
