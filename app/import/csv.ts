// Reads a CSV/TSV file of numbers at the boundary: delimiter detection (, ; tab),
// comment lines (#), an optional header row, and errors that name line and column.

export interface NumericTable {
  header: string[] | null;
  columns: number[][];
  rows: number;
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

function splitLine(line: string, delim: string): string[] {
  return line.split(delim).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

export function parseNumericCsv(text: string, source: string): NumericTable {
  const lines = text.split(/\r?\n/).map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (lines.length === 0) throw new ImportError(`${source}: no data lines`);
  const first = lines[0].l;
  const delim = first.includes('\t') ? '\t' : first.includes(';') && !first.includes(',') ? ';' : ',';
  const firstCells = splitLine(first, delim);
  const isNumber = (c: string) => c !== '' && Number.isFinite(Number(c));
  const header = firstCells.every(isNumber) ? null : firstCells;
  const body = header ? lines.slice(1) : lines;
  const width = firstCells.length;
  const columns: number[][] = Array.from({ length: width }, () => []);
  for (const { l, n } of body) {
    const cells = splitLine(l, delim);
    if (cells.length !== width) throw new ImportError(`${source} line ${n}: ${cells.length} columns, expected ${width} (as in line ${lines[0].n})`);
    cells.forEach((c, j) => {
      if (c === '' || /^nan$/i.test(c)) {
        columns[j].push(NaN);
        return;
      }
      const v = Number(c);
      if (!Number.isFinite(v)) throw new ImportError(`${source} line ${n}, column ${j + 1}${header ? ` (${header[j]})` : ''}: "${c}" is not a number`);
      columns[j].push(v);
    });
  }
  if (body.length === 0) throw new ImportError(`${source}: a header but no data rows`);
  return { header, columns, rows: body.length };
}
