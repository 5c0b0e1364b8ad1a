// `neuroprobe import`: a CSV of old measurements becomes a stored run (protocol
// "imported", with the source file name and its SHA-256), analysed like measured data.
// Column roles come from --columns, else from header names, else positional defaults.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Db } from '../../db/database.ts';
import { RunRecorder } from '../../db/recorder.ts';
import { ANALYSIS_VERSION } from '../../analysis/version.ts';
import { IMPORTED_PROTOCOL, IMPORT_CHANNELS, IMPORT_KINDS, type ImportKind, type ImportedParams, analyseImported } from '../../protocols/imported.ts';
import { SOFTWARE_VERSION } from '../version.ts';
import { ImportError, type NumericTable, decodeText, parseNumericCsv } from './csv.ts';
import { readK4200Workbook } from './k4200-workbook.ts';
import { IMPORT_ROLES } from './import-roles.ts';
export { IMPORT_ROLES };

export interface ImportOptions {
  as: string;
  columns?: string;
  readVoltageV?: number;
  quantity?: 'conductance' | 'current' | 'weight';
  gBeforeS?: number;
  darkA?: number;
  device?: string;
  /** Conditions stored with every metric, e.g. { wavelength_nm: 532, temperature_K: 300 }. */
  conditions?: Record<string, number | string>;
  /** Decimal mark of the numbers (detected when absent). */
  decimal?: '.' | ',';
  /** Lines above the table to skip (metadata is detected when absent). */
  skip?: number;
  /** Import even when a file with the same SHA-256 is already stored. */
  again?: boolean;
  /** I-V and forming: the sweeps' current compliance, A. */
  complianceA?: number;
  /** I-V: polarity of the SET sweeps (default: that of the first sweep). */
  setPolarity?: 'positive' | 'negative';
}


function defaultRoles(kind: ImportKind, width: number): string[] {
  switch (kind) {
    case 'ltp-ltd':
      return Array.from({ length: width }, (_, i) => (i % 2 === 0 ? 'ltp' : 'ltd'));
    case 'ppf':
      return width === 2 ? ['interval_s', 'ratio'] : ['interval_s', 'a1', 'a2'];
    case 'endurance':
      return width === 3 ? ['cycle', 'g_hrs', 'g_lrs'] : ['g_hrs', 'g_lrs'];
    case 'polarization':
      return width === 2 ? ['angle_deg', 'light_A'] : ['angle_deg', 'light_A', 'dark_A'];
    case 'iv':
    case 'forming':
      return width === 3 ? ['v_V', 'i_A', 'sweep'] : ['v_V', 'i_A'];
    default:
      return IMPORT_CHANNELS[kind].map((c) => c.name);
  }
}

function resolveRoles(kind: ImportKind, table: NumericTable, columns: string | undefined, source: string): string[] {
  const allowed = IMPORT_ROLES[kind];
  let roles: string[];
  if (columns) roles = columns.split(',').map((s) => s.trim());
  else if (table.header && table.header.every((h) => allowed.includes(h))) roles = table.header;
  else roles = defaultRoles(kind, table.columns.length);
  if (roles.length !== table.columns.length) throw new ImportError(`${source}: ${table.columns.length} columns but ${roles.length} column roles (${roles.join(',')}); give --columns with one role per column`);
  for (const r of roles) if (!allowed.includes(r)) throw new ImportError(`${source}: unknown column role "${r}" for --as ${kind}; allowed: ${allowed.join(', ')}`);
  return roles;
}

function trimNaN(xs: number[]): number[] {
  let n = xs.length;
  while (n > 0 && Number.isNaN(xs[n - 1])) n--;
  return xs.slice(0, n);
}

/** A whole number in [0, max], else an ImportError naming the file line. */
function index(v: number, name: string, max: number, t: NumericTable, row: number, source: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new ImportError(`${source} line ${t.lineOfRow[row]}: ${name} ${v} is not a whole number from 0 to ${max}${max === t.rows ? ' (the file has that many rows)' : ''}`);
  }
  return v;
}

function ltpLtdChannels(roles: string[], t: NumericTable, source: string): Record<string, number[]> {
  const out: Record<string, number[]> = { cycle: [], phase: [], pulse: [], value: [] };
  if (roles.includes('ltp') || roles.includes('ltd')) {
    // Wide layout: one column per ramp. LTP and LTD ramps are counted independently (the
    // i-th ramp of each belongs to cycle i), so 39 SET and 40 RESET ramps are all kept.
    const ltp = roles.flatMap((r, j) => (r === 'ltp' ? [trimNaN(t.columns[j])] : []));
    const ltd = roles.flatMap((r, j) => (r === 'ltd' ? [trimNaN(t.columns[j])] : []));
    for (const [phase, ramps] of [
      [0, ltp],
      [1, ltd],
    ] as const) {
      ramps.forEach((r, c) => {
        r.forEach((v, k) => {
          out.cycle.push(c + 1);
          out.phase.push(phase);
          out.pulse.push(k);
          out.value.push(v);
        });
      });
    }
    return out;
  }
  for (const need of ['cycle', 'phase', 'pulse', 'value']) if (!roles.includes(need)) throw new ImportError(`${source}: long layout needs columns cycle, phase, pulse, value (missing ${need})`);
  const col = (r: string) => t.columns[roles.indexOf(r)];
  for (let i = 0; i < t.rows; i++) {
    const ph = col('phase')[i];
    if (ph !== 0 && ph !== 1) throw new ImportError(`${source} line ${t.lineOfRow[i]}: phase ${ph} must be 0 (LTP) or 1 (LTD)`);
    out.cycle.push(index(col('cycle')[i], 'cycle', 1_000_000_000, t, i, source));
    out.phase.push(ph);
    // A ramp cannot have more reads than the file has rows.
    out.pulse.push(index(col('pulse')[i], 'pulse index', t.rows, t, i, source));
    out.value.push(col('value')[i]);
  }
  return out;
}

export interface ImportPreview {
  header: string[] | null;
  /** The first data rows as read (at most 10). */
  rows: number[][];
  totalRows: number;
  /** The role each column will get. */
  roles: string[];
  notes: string[];
}

/** What an import would read, with no database contact: the table, the first rows and each column's role. */
export function previewImport(bytes: Uint8Array, fileName: string, opts: ImportOptions): ImportPreview {
  if (!(IMPORT_KINDS as readonly string[]).includes(opts.as)) throw new ImportError(`--as "${opts.as}" is not one of ${IMPORT_KINDS.join(', ')}`);
  const source = basename(fileName);
  const { text, encoding } = decodeText(bytes, source);
  const table = parseNumericCsv(text, source, { decimal: opts.decimal, skip: opts.skip }, encoding);
  const roles = resolveRoles(opts.as as ImportKind, table, opts.columns, source);
  const n = Math.min(10, table.rows);
  return { header: table.header, rows: Array.from({ length: n }, (_, i) => table.columns.map((c) => c[i])), totalRows: table.rows, roles, notes: table.notes };
}

export function importCsv(db: Db, path: string, opts: ImportOptions): { runId: number; params: ImportedParams; notes: string[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ImportError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return importBytes(db, bytes, basename(path), opts);
}

/** Imports a file's content (from disk, or uploaded through the user interface). */
export function importBytes(db: Db, bytes: Buffer, fileName: string, opts: ImportOptions): { runId: number; params: ImportedParams; notes: string[] } {
  if (!(IMPORT_KINDS as readonly string[]).includes(opts.as)) throw new ImportError(`--as "${opts.as}" is not one of ${IMPORT_KINDS.join(', ')}`);
  const kind = opts.as as ImportKind;
  const source = basename(fileName);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const earlier = db.prepare(`SELECT id FROM runs WHERE protocol_id = ? AND json_extract(params_json, '$.sha256') = ? ORDER BY id LIMIT 1`).get(IMPORTED_PROTOCOL.id, sha256) as { id: number } | undefined;
  if (earlier && !opts.again) throw new ImportError(`${source} is already stored as run ${earlier.id} (same SHA-256); add --again to import it once more`);
  const { text, encoding } = decodeText(bytes, source);
  const table = parseNumericCsv(text, source, { decimal: opts.decimal, skip: opts.skip }, encoding);
  const roles = resolveRoles(kind, table, opts.columns, source);
  const col = (r: string) => table.columns[roles.indexOf(r)];
  let channels: Record<string, number[]>;
  switch (kind) {
    case 'ltp-ltd':
      if (opts.quantity === 'current' && !(opts.readVoltageV && opts.readVoltageV !== 0)) throw new ImportError('--quantity current needs --read-voltage (G = I / V_read)');
      channels = ltpLtdChannels(roles, table, source);
      break;
    case 'ppf':
      channels = roles.includes('ratio')
        ? { interval_s: col('interval_s'), a1: col('ratio').map(() => 1), a2: col('ratio') }
        : { interval_s: col('interval_s'), a1: col('a1'), a2: col('a2') };
      break;
    case 'polarization':
      channels = { angle_deg: col('angle_deg'), light_A: col('light_A'), dark_A: roles.includes('dark_A') ? col('dark_A') : col('angle_deg').map(() => opts.darkA ?? 0) };
      break;
    case 'endurance':
      channels = { g_hrs: col('g_hrs'), g_lrs: col('g_lrs') };
      break;
    case 'iv':
    case 'forming':
      channels = { v_V: col('v_V'), i_A: col('i_A'), ...(roles.includes('sweep') ? { sweep: col('sweep') } : {}) };
      break;
    default:
      channels = Object.fromEntries(IMPORT_CHANNELS[kind].map((c) => [c.name, col(c.name)]));
  }
  for (const [name, values] of Object.entries(channels)) if (!values) throw new ImportError(`${source}: no column for ${name}`);
  return storeImported(db, kind, channels, { source, sha256, columns: roles.join(','), notes: table.notes }, opts);
}

/** Analyses an imported record, then stores it as one run (nothing is stored when the analysis fails). */
function storeImported(
  db: Db,
  kind: ImportKind,
  channels: Record<string, number[]>,
  file: { source: string; sha256: string; columns: string; notes: string[] },
  opts: ImportOptions,
): { runId: number; params: ImportedParams; notes: string[] } {
  const { source, sha256 } = file;
  const params: ImportedParams = {
    as: kind,
    sourceFile: source,
    sha256,
    columns: file.columns,
    ...(opts.complianceA !== undefined ? { complianceA: opts.complianceA } : {}),
    ...(opts.setPolarity ? { setPolarity: opts.setPolarity } : {}),
    ...(kind === 'ltp-ltd' ? { quantity: opts.quantity ?? (opts.readVoltageV !== undefined ? 'current' : 'weight') } : {}),
    ...(opts.readVoltageV !== undefined ? { readVoltageV: opts.readVoltageV } : {}),
    ...(opts.gBeforeS !== undefined ? { gBeforeS: opts.gBeforeS } : {}),
    ...(opts.conditions && Object.keys(opts.conditions).length ? { conditions: opts.conditions } : {}),
  };
  // Analysed before anything is stored: an import that fails stores nothing.
  const { metrics } = analyseImported({ channels }, params);
  const rec = new RunRecorder(db, {
    device: opts.device ?? source.replace(/\.[^.]+$/, ''),
    stationName: 'imported data (no station)',
    stationJson: JSON.stringify({ name: 'imported data (no station)', source }),
    protocolId: IMPORTED_PROTOCOL.id,
    protocolVersion: IMPORTED_PROTOCOL.version,
    params: params as unknown as Record<string, number | string>,
    softwareVersion: SOFTWARE_VERSION,
    channels: IMPORT_CHANNELS[kind],
    instruments: [],
  });
  try {
    rec.append(channels);
    rec.finish('completed', `imported from ${source}`, metrics, ANALYSIS_VERSION);
  } catch (e) {
    rec.finishStatusOnly('failed', 'import failed');
    db.prepare('DELETE FROM runs WHERE id = ?').run(rec.runId);
    throw e;
  }
  return { runId: rec.runId, params, notes: file.notes };
}

/** Imports a Keithley 4200A (Clarius) workbook: one sweep per RunNNN sheet, the compliance from its Settings sheet. */
export async function importWorkbook(db: Db, path: string, opts: ImportOptions): Promise<{ runId: number; params: ImportedParams; notes: string[] }> {
  if (opts.as !== 'iv' && opts.as !== 'forming') throw new ImportError(`${basename(path)}: a 4200A workbook imports as iv or forming, not ${opts.as}`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ImportError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const source = basename(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const earlier = db.prepare(`SELECT id FROM runs WHERE protocol_id = ? AND json_extract(params_json, '$.sha256') = ? ORDER BY id LIMIT 1`).get(IMPORTED_PROTOCOL.id, sha256) as { id: number } | undefined;
  if (earlier && !opts.again) throw new ImportError(`${source} is already stored as run ${earlier.id} (same SHA-256); add --again to import it once more`);
  const wb = await readK4200Workbook(path);
  const channels: Record<string, number[]> = { v_V: [], i_A: [], sweep: [] };
  wb.runs.forEach((r, k) => {
    for (let i = 0; i < r.voltageV.length; i++) {
      channels.v_V.push(r.voltageV[i]);
      channels.i_A.push(r.currentA[i]);
      channels.sweep.push(k + 1);
    }
  });
  const notes = [`${wb.runs.length} sweep(s) from sheets ${wb.runs.map((r) => r.name).join(', ')}`];
  const complianceA = opts.complianceA ?? wb.complianceA;
  if (opts.complianceA === undefined && wb.complianceA !== undefined) notes.push(`compliance ${wb.complianceA} A from the Settings sheet`);
  return storeImported(db, opts.as, channels, { source, sha256, columns: 'workbook: AV → v_V, AI → i_A, sheet → sweep', notes }, { ...opts, ...(complianceA !== undefined ? { complianceA } : {}) });
}
