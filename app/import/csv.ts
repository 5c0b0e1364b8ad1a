// Reads a table of numbers from a lab file at the boundary. The text is decoded (UTF-8
// with or without BOM, UTF-16 LE/BE by BOM or by its zero bytes, Latin-1 as a fallback),
// line ends normalised (CRLF, LF, CR), the table found below any instrument metadata
// lines (or after --skip N lines), the delimiter (tab, semicolon, comma) and the decimal
// mark detected, and the cells parsed by csv-parse (quotes, quoted delimiters). Errors
// name the file's own line and column.

import { parse } from 'csv-parse/sync';

export interface ReadOptions {
  /** Decimal mark of the numbers; detected when absent. */
  decimal?: '.' | ',';
  /** Lines to skip before the table (header or data); detected when absent. */
  skip?: number;
}

export interface NumericTable {
  header: string[] | null;
  columns: number[][];
  rows: number;
  /** The file line (from 1) of each data row, for messages in the file's coordinates. */
  lineOfRow: Int32Array;
  delimiter: string;
  decimal: '.' | ',';
  encoding: string;
  /** Lines above the table that were skipped (metadata), not counting comments and blank lines. */
  skippedLines: number;
  /** Things the user should know (detections made). */
  notes: string[];
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

// On a tie (a one-column line) the comma wins: the most common delimiter.
const DELIMITERS = [',', ';', '\t'] as const;
const DELIMITER_NAMES: Record<string, string> = { '\t': 'tab', ';': 'semicolon', ',': 'comma' };
/** How many lines the table's start is looked for in (metadata blocks are short). */
const SEARCH_LINES = 1000;
const MISSING = /^(|nan|na|n\/a|null|-)$/i;
const DOT_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const COMMA_NUMBER = /^[-+]?(\d+,?\d*|,\d+)([eE][-+]?\d+)?$/;

/** Decodes the file's bytes; returns the text and the encoding found. */
export function decodeText(bytes: Uint8Array, source: string): { text: string; encoding: string } {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'UTF-8 with BOM' };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'UTF-16 LE' };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'UTF-16 BE' };
  // UTF-16 without a BOM: text in the ASCII range has a zero in every other byte.
  const probe = bytes.subarray(0, 4096);
  let zerosEven = 0;
  let zerosOdd = 0;
  for (let i = 0; i < probe.length; i++) if (probe[i] === 0) (i % 2 ? zerosOdd++ : zerosEven++);
  const half = probe.length / 2;
  if (half >= 4 && zerosOdd > 0.4 * half && zerosEven < 0.05 * half) return { text: new TextDecoder('utf-16le').decode(bytes), encoding: 'UTF-16 LE (no BOM)' };
  if (half >= 4 && zerosEven > 0.4 * half && zerosOdd < 0.05 * half) return { text: new TextDecoder('utf-16be').decode(bytes), encoding: 'UTF-16 BE (no BOM)' };
  if (zerosEven + zerosOdd > 0) throw new ImportError(`${source}: holds zero bytes — a binary file, not a text table (for Excel files, save as CSV)`);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'UTF-8' };
  } catch {
    return { text: new TextDecoder('latin1').decode(bytes), encoding: 'Latin-1 (not valid UTF-8)' };
  }
}

function numberOf(cell: string, decimal: '.' | ','): number | null {
  const c = cell.trim();
  if (MISSING.test(c)) return NaN;
  const v = decimal === '.' ? (DOT_NUMBER.test(c) ? Number(c) : null) : COMMA_NUMBER.test(c) ? Number(c.replace(',', '.')) : null;
  // 1e400 and the like: not a measurement.
  return v !== null && Number.isFinite(v) ? v : null;
}

/** Cells of one line split by a delimiter, honouring double quotes (for detection only). */
function roughCells(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === delim && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Whether the cells read as numbers (out-of-range ones included: parsing then names them). */
function isNumericRow(cells: string[], decimal: '.' | ','): boolean {
  let any = false;
  for (const raw of cells) {
    const c = raw.trim();
    if (MISSING.test(c)) continue;
    if (!(decimal === '.' ? DOT_NUMBER : COMMA_NUMBER).test(c)) return false;
    any = true;
  }
  return any;
}

interface Layout {
  start: number; // index into lines of the first table line (header or data)
  header: boolean;
  delimiter: string;
  decimal: '.' | ',';
  width: number;
}

/**
 * How line `line` reads as a row of numbers: the delimiter giving the most numeric cells,
 * with the dot decimal mark first and the comma only where the dot reading fails.
 */
function numericLayout(line: string, decimalGiven: '.' | ',' | undefined): Omit<Layout, 'start' | 'header'> | null {
  for (const decimal of decimalGiven ? [decimalGiven] : (['.', ','] as const)) {
    let best: Omit<Layout, 'start' | 'header'> | null = null;
    for (const d of DELIMITERS) {
      if (decimal === ',' && d === ',') continue;
      const cells = roughCells(line, d);
      if (isNumericRow(cells, decimal) && (!best || cells.length > best.width)) best = { delimiter: d, decimal, width: cells.length };
    }
    if (best) return best;
  }
  return null;
}

function skippable(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

/**
 * The table starts at the first line that is a row of numbers, or that is a header with
 * a row of numbers of the same width below it; lines above are metadata.
 */
function findLayout(lines: string[], opts: ReadOptions, source: string): Layout {
  const from = opts.skip ?? 0;
  if (from >= lines.length) throw new ImportError(`${source}: --skip ${from} skips the whole file (${lines.length} lines)`);
  const limit = Math.min(lines.length, from + SEARCH_LINES);
  for (let i = from; i < limit; i++) {
    if (skippable(lines[i])) continue;
    const data = numericLayout(lines[i], opts.decimal);
    if (data) return { ...data, start: i, header: false };
    let j = i + 1;
    while (j < lines.length && skippable(lines[j])) j++;
    const below = j < lines.length ? numericLayout(lines[j], opts.decimal) : null;
    if (below && roughCells(lines[i], below.delimiter).length === below.width) return { ...below, start: i, header: true };
    if (opts.skip !== undefined) {
      throw new ImportError(`${source} line ${i + 1}: after --skip ${opts.skip}, expected a header or a row of numbers, found "${lines[i].slice(0, 60)}"`);
    }
  }
  const commaHint = opts.decimal !== ',' && lines.slice(from, limit).some((l) => /\d,\d/.test(l)) ? '; if the numbers use decimal commas, add --decimal ,' : '';
  throw new ImportError(`${source}: no table of numbers found in the first ${limit - from} lines (a header row, then rows of numbers separated by tab, semicolon or comma)${commaHint}`);
}

export function parseNumericCsv(text: string, source: string, opts: ReadOptions = {}, encoding = 'UTF-8'): NumericTable {
  const normalised = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const lines = normalised.split('\n');
  const layout = findLayout(lines, opts, source);
  const notes: string[] = [];
  const skippedLines = lines.slice(0, layout.start).filter((l) => !skippable(l)).length;
  if (skippedLines > 0) notes.push(`skipped ${skippedLines} line(s) above the table${opts.skip === undefined ? ' (detected; --skip N sets it)' : ''}`);
  if (layout.decimal === ',' && opts.decimal === undefined) notes.push('decimal commas detected (--decimal , sets it)');
  if (encoding !== 'UTF-8') notes.push(`read as ${encoding}`);

  const columns: number[][] = Array.from({ length: layout.width }, () => []);
  const lineOfRow: number[] = [];
  let header: string[] | null = null;
  const body = lines.slice(layout.start).join('\n');
  const firstLine = layout.start + 1;
  try {
  parse(body, {
    delimiter: layout.delimiter,
    comment: '#',
    comment_no_infix: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    trim: true,
    on_record: (record: string[], ctx) => {
      const line = firstLine + ctx.lines - 1;
      if (layout.header && header === null) {
        header = record;
        return null;
      }
      if (record.length !== layout.width) {
        throw new ImportError(`${source} line ${line}: ${record.length} columns, expected ${layout.width} (${DELIMITER_NAMES[layout.delimiter]}-separated, as in line ${firstLine})`);
      }
      for (let j = 0; j < record.length; j++) {
        const v = numberOf(record[j], layout.decimal);
        if (v === null) {
          const c = record[j].trim();
          if ((layout.decimal === '.' ? DOT_NUMBER : COMMA_NUMBER).test(c)) throw new ImportError(`${source} line ${line}, column ${j + 1}${header ? ` (${header[j]})` : ''}: "${record[j]}" is out of range`);
          const hint = layout.decimal === '.' && COMMA_NUMBER.test(record[j].trim()) ? ' — the file seems to use decimal commas: add --decimal ,' : '';
          throw new ImportError(`${source} line ${line}, column ${j + 1}${header ? ` (${header[j]})` : ''}: "${record[j]}" is not a number${hint}`);
        }
        columns[j].push(v);
      }
      lineOfRow.push(line);
      return null;
    },
  });
  } catch (e) {
    if (e instanceof ImportError) throw e;
    // csv-parse's own errors (unbalanced quotes …) say "at line N" of the table: make it the file's line.
    const m = /at line (\d+)/.exec((e as Error).message);
    const where = m ? ` line ${firstLine + Number(m[1]) - 1}` : '';
    throw new ImportError(`${source}${where}: ${(e as Error).message.replace(/\s*at line \d+.*$/s, '').replace(/\s+/g, ' ')}`);
  }
  if (lineOfRow.length === 0) throw new ImportError(`${source}: a header but no data rows`);
  return {
    header,
    columns,
    rows: lineOfRow.length,
    lineOfRow: Int32Array.from(lineOfRow),
    delimiter: layout.delimiter,
    decimal: layout.decimal,
    encoding,
    skippedLines,
    notes,
  };
}
