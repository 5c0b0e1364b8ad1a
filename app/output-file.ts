// Writing what a command produces (exports, cards, models) without ever destroying data:
// never onto the open database or any other SQLite file, never over an existing file
// unless asked (`--force`), and through a temporary file renamed into place at the end,
// so a full disk or a crash leaves the old file (or none), never a partial one.

import { closeSync, existsSync, fsyncSync, openSync, readSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

export interface OutputOptions {
  /** Replace an existing file (never a SQLite database). */
  force?: boolean;
  /** Files that must never be written (the database being read). */
  protect?: string[];
}

const SQLITE_MAGIC = 'SQLite format 3\0';

function canonical(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    // Not there yet: resolve the folder, keep the name.
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

function isSqliteFile(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n === 16 && head.toString('latin1') === SQLITE_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Throws an OutputError when writing `path` could destroy data; otherwise returns. */
export function checkOutputPath(path: string, opts: OutputOptions = {}): void {
  const target = canonical(path);
  for (const p of opts.protect ?? []) {
    if (p === ':memory:') continue;
    const prot = canonical(p);
    if (target === prot || target === `${prot}-wal` || target === `${prot}-shm` || target === `${prot}-journal`) {
      throw new OutputError(`--out ${path} is the database being read (${p}); choose another file name`);
    }
  }
  if (!existsSync(target)) return;
  if (isSqliteFile(target)) throw new OutputError(`--out ${path} is an SQLite database; NeuroProbe never writes over a database (choose another file name)`);
  if (!opts.force) throw new OutputError(`--out ${path} already exists; add --force to replace it`);
}

/**
 * Writes `parts` (strings or byte buffers, possibly produced lazily) to `path` through a
 * temporary file in the same folder, fsync'd and renamed into place.
 */
export function writeOutputFile(path: string, parts: Iterable<string | Uint8Array>, opts: OutputOptions = {}): void {
  checkOutputPath(path, opts);
  const target = canonical(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    for (const part of parts) {
      const buf = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new OutputError(`cannot write ${path}: ${whyNot(e)} (nothing was written)`);
  }
}

function whyNot(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOSPC' ? 'the disk is full' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'ENOENT' ? 'its folder does not exist' : err.message;
}

/**
 * Like writeOutputFile, for writers that need a path of their own (HDF5): `write` fills a
 * temporary file in the same folder, which is renamed into place when it succeeds.
 */
export async function writeOutputFileVia(path: string, write: (tmpPath: string) => Promise<void>, opts: OutputOptions = {}): Promise<void> {
  checkOutputPath(path, opts);
  const target = canonical(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
  try {
    if (!existsSync(dirname(target))) throw Object.assign(new Error('no folder'), { code: 'ENOENT' });
    await write(tmp);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new OutputError(`cannot write ${path}: ${whyNot(e)} (nothing was written)`);
  }
}
