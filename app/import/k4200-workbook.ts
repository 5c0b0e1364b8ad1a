// Keithley 4200A-SCS (Clarius) workbook exports: one sheet per run (`Run113`, …) with
// columns Time, AI, AV (and instrument formula columns; the first data row may also hold
// the instrument's own summary numbers such as VSET or ILRS), a `Settings` sheet with
// the sweep set-up and compliance, and a `Calc` sheet. Read with read-excel-file.

import readXlsxFile from 'read-excel-file/node';
import { ImportError } from './csv.ts';

export interface K4200Run {
  /** Sheet name, e.g. Run113. */
  name: string;
  /** Run number from the sheet name (workbook order is not run order). */
  number: number;
  timeS: number[];
  voltageV: number[];
  currentA: number[];
  /** Numbers of the first data row in the non-trace columns (the instrument's summary: VSET, ILRS, …). */
  summary: Record<string, number>;
}

export interface K4200Workbook {
  runs: K4200Run[];
  /** From the Settings sheet when present. */
  complianceA?: number;
  startV?: number;
  stopV?: number;
  stepV?: number;
}

const TRACE = ['Time', 'AI', 'AV'];

function settingNumber(rows: unknown[][], label: string): number | undefined {
  const row = rows.find((r) => String(r[0] ?? '').trim().toLowerCase() === label.toLowerCase());
  if (!row) return undefined;
  // The Settings rows list one value per SMU; the last numeric one is the swept SMU's in these exports.
  const nums = row
    .slice(1)
    .map((c) => (typeof c === 'number' ? c : typeof c === 'string' && c.trim() !== '' ? Number(c) : NaN))
    .filter(Number.isFinite);
  return nums.length ? nums[nums.length - 1] : undefined;
}

export async function readK4200Workbook(path: string): Promise<K4200Workbook> {
  let sheets: { sheet: string; data: unknown[][] }[];
  try {
    sheets = (await readXlsxFile(path)) as unknown as { sheet: string; data: unknown[][] }[];
  } catch (e) {
    throw new ImportError(`${path}: not a readable .xlsx workbook (${(e as Error).message})`);
  }
  const runs: K4200Run[] = [];
  for (const s of sheets) {
    const m = /^Run(\d+)$/i.exec(s.sheet);
    if (!m) continue;
    const header = (s.data[0] ?? []).map((c) => String(c ?? '').trim());
    const col = (name: string) => header.findIndex((h) => h.toUpperCase() === name.toUpperCase());
    const [ti, ii, vi] = TRACE.map(col);
    if (ii < 0 || vi < 0) throw new ImportError(`${path}, sheet ${s.sheet}: expected columns AI and AV in the header, found ${header.join(', ') || '(none)'}`);
    const run: K4200Run = { name: s.sheet, number: Number(m[1]), timeS: [], voltageV: [], currentA: [], summary: {} };
    for (let r = 1; r < s.data.length; r++) {
      const row = s.data[r];
      const v = row[vi];
      const i = row[ii];
      if (typeof v !== 'number' || typeof i !== 'number') continue;
      run.voltageV.push(v);
      run.currentA.push(i);
      run.timeS.push(ti >= 0 && typeof row[ti] === 'number' ? (row[ti] as number) : NaN);
    }
    const first = s.data[1] ?? [];
    header.forEach((h, k) => {
      if (!TRACE.includes(h) && typeof first[k] === 'number') run.summary[h] = first[k] as number;
    });
    if (run.voltageV.length === 0) throw new ImportError(`${path}, sheet ${s.sheet}: no numeric AI/AV rows`);
    runs.push(run);
  }
  if (runs.length === 0) throw new ImportError(`${path}: no RunNNN sheets (is this a Keithley 4200A Clarius export?)`);
  runs.sort((a, b) => a.number - b.number);
  const settings = sheets.find((s) => s.sheet.toLowerCase() === 'settings')?.data ?? [];
  return {
    runs,
    ...(settingNumber(settings, 'Compliance') !== undefined ? { complianceA: settingNumber(settings, 'Compliance') } : {}),
    ...(settingNumber(settings, 'Start/Bias') !== undefined ? { startV: settingNumber(settings, 'Start/Bias') } : {}),
    ...(settingNumber(settings, 'Stop') !== undefined ? { stopV: settingNumber(settings, 'Stop') } : {}),
    ...(settingNumber(settings, 'Step') !== undefined ? { stepV: settingNumber(settings, 'Step') } : {}),
  };
}
