// Lab files as they come out of instruments and spreadsheets: encodings, line ends,
// quoted headers, decimal commas, metadata above the table, bad indices, duplicates,
// large files — and a fuzz test of generated and mutated files for every kind.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportError, parseNumericCsv } from '../../app/import/csv.ts';
import { IMPORT_ROLES } from '../../app/import/import-run.ts';
import { readChannel } from '../../db/reader.ts';
import { IMPORT_KINDS } from '../../protocols/imported.ts';
import { useTempDir } from '../helpers/temp.ts';
import { useApps } from '../helpers/apps.ts';
import { syntheticRamp } from '../helpers/synthetic.ts';

const tempDir = useTempDir();
const openApp = useApps(() => join(tempDir(), 'np.db'));
function file(name: string, content: string | Buffer): string {
  const p = join(tempDir(), name);
  writeFileSync(p, content);
  return p;
}

const RETENTION = ['t_s,g', '1,5e-5', '10,4.8e-5', '100,4.6e-5', '1000,4.5e-5', '10000,4.45e-5'];

describe('lab file formats', () => {
  it('UTF-8 BOM, CRLF and CR-only line ends read the same numbers', () => {
    const base = parseNumericCsv(RETENTION.join('\n'), 'x');
    for (const variant of ['\ufeff' + RETENTION.join('\r\n'), RETENTION.join('\r'), RETENTION.join('\r\n') + '\r\n']) {
      const t = parseNumericCsv(variant.replace(/^\ufeff/, ''), 'x');
      expect(t.columns).toEqual(base.columns);
      expect(t.header).toEqual(['t_s', 'g']);
    }
    const app = openApp();
    const r = app.importCsv(file('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(RETENTION.join('\r'))])), { as: 'retention', gBeforeS: 1e-5 });
    expect(Array.from(readChannel(app.db, r.runId, 'g'))).toEqual(base.columns[1]);
  });

  it('UTF-16 with and without a BOM is decoded, not garbled', () => {
    const app = openApp();
    const text = RETENTION.join('\r\n');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const r1 = app.importCsv(file('le.csv', le), { as: 'retention', gBeforeS: 1e-5 });
    expect(r1.notes.join(' ')).toMatch(/UTF-16 LE/);
    const noBom = Buffer.from(text.replace('t_s,g', 'seconds,siemens'), 'utf16le');
    const r2 = app.importCsv(file('le2.csv', noBom), { as: 'retention', gBeforeS: 1e-5, columns: 't_s,g' });
    expect(Array.from(readChannel(app.db, r2.runId, 't_s'))).toEqual([1, 10, 100, 1000, 10000]);
  });

  it('a header with quoted commas and quoted cells', () => {
    const t = parseNumericCsv('"G (S), ramp 1","G (S), ramp 2"\n"1.5e-5",2e-5\n1.6e-5,"1.9e-5"\n', 'q');
    expect(t.header).toEqual(['G (S), ramp 1', 'G (S), ramp 2']);
    expect(t.columns).toEqual([
      [1.5e-5, 1.6e-5],
      [2e-5, 1.9e-5],
    ]);
  });

  it('decimal commas with semicolons are detected; without a header too; a hint when they cannot be', () => {
    const t = parseNumericCsv('t;g\n0,5;1,25e-5\n1,5;1,2e-5\n', 'd');
    expect(t.decimal).toBe(',');
    expect(t.columns).toEqual([
      [0.5, 1.5],
      [1.25e-5, 1.2e-5],
    ]);
    expect(t.notes.join(' ')).toMatch(/decimal commas detected/);
    expect(parseNumericCsv('0,5;1,25\n1,5;1,2\n', 'n').columns).toEqual([
      [0.5, 1.5],
      [1.25, 1.2],
    ]);
    // Whole numbers first: the dot reading is taken, and the first decimal comma explains itself.
    expect(() => parseNumericCsv('1;2\n3;4\n0,5;6\n', 'h')).toThrow(/h line 3, column 1: "0,5" is not a number — the file seems to use decimal commas: add --decimal ,/);
    expect(parseNumericCsv('1;2\n3;4\n0,5;6\n', 'h', { decimal: ',' }).columns[0]).toEqual([1, 3, 0.5]);
  });

  it('instrument metadata above the table is skipped (detected, or with --skip)', () => {
    const text = ['Keithley Instruments 2450 export', 'Date:,2026-11-29', 'Operator:,"A. Person"', '', 'Time (s),Current (A)', '0,1e-6', '0.1,1.1e-6', '0.2,1.2e-6'].join('\n');
    const t = parseNumericCsv(text, 'meta');
    expect(t.header).toEqual(['Time (s)', 'Current (A)']);
    expect(t.rows).toBe(3);
    expect(t.skippedLines).toBe(3);
    expect(t.lineOfRow[0]).toBe(6);
    expect(parseNumericCsv(text, 'meta', { skip: 4 }).rows).toBe(3);
    expect(() => parseNumericCsv(text, 'meta', { skip: 1 })).toThrow(/meta line 2: after --skip 1, expected a header or a row of numbers/);
  });

  it('errors name the file line: bad cells, ragged rows, no table', () => {
    expect(() => parseNumericCsv('# comment\nltp,ltd\n1,2\n3,x4\n', 'bad.csv')).toThrow(/bad\.csv line 4, column 2 \(ltd\): "x4" is not a number/);
    expect(() => parseNumericCsv('1,2\n3\n', 'ragged.csv')).toThrow(/ragged\.csv line 2: 1 columns, expected 2/);
    expect(() => parseNumericCsv('hello\nworld\n', 'words.txt')).toThrow(/words\.txt: no table of numbers found/);
    expect(() => parseNumericCsv('1,1e400\n', 'big.csv')).toThrow(/big\.csv line 1, column 2: "1e400" is out of range/);
  });
});

describe('indices and duplicates', () => {
  it('pulse and cycle indices must be whole numbers within the file', () => {
    const app = openApp();
    const bad = (rows: string[]) => file(`idx${Math.random()}.csv`, ['cycle,phase,pulse,value', ...rows].join('\n'));
    const t0 = Date.now();
    expect(() => app.importCsv(bad(['1,0,0,1e-5', '1,0,4294967294,2e-5']), { as: 'ltp-ltd' })).toThrow(/line 3: pulse index 4294967294 is not a whole number from 0 to 2 \(the file has that many rows\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(() => app.importCsv(bad(['1,0,0,1e-5', '1,0,100000000,2e-5']), { as: 'ltp-ltd' })).toThrow(/pulse index 100000000/);
    expect(() => app.importCsv(bad(['1,0,0,1e-5', '1,0,-1,2e-5']), { as: 'ltp-ltd' })).toThrow(/line 3: pulse index -1 is not a whole number/);
    expect(() => app.importCsv(bad(['1,0,0,1e-5', '1,0,0.5,2e-5']), { as: 'ltp-ltd' })).toThrow(/pulse index 0\.5/);
    expect(() => app.importCsv(bad(['1.5,0,0,1e-5']), { as: 'ltp-ltd' })).toThrow(/line 2: cycle 1\.5/);
    expect(app.runs()).toEqual([]); // nothing stored by any failed import
  });

  it('the same file twice is refused unless --again', () => {
    const app = openApp();
    const p = file('ret.csv', RETENTION.join('\n'));
    const first = app.importCsv(p, { as: 'retention', gBeforeS: 1e-5 });
    expect(() => app.importCsv(p, { as: 'retention', gBeforeS: 1e-5 })).toThrow(new RegExp(`ret\\.csv is already stored as run ${first.runId} \\(same SHA-256\\); add --again`));
    const again = app.importCsv(p, { as: 'retention', gBeforeS: 1e-5, again: true });
    expect(again.runId).not.toBe(first.runId);
  });

  it('wide LTP/LTD tables keep every ramp when the counts differ (39 SET, 40 RESET)', () => {
    const app = openApp();
    const n = 30;
    const cols = [...Array.from({ length: 39 }, (_, i) => syntheticRamp(0.5, n - (i % 5), 0.01, i)), ...Array.from({ length: 40 }, (_, i) => syntheticRamp(-0.3, n, 0.01, 100 + i).reverse())];
    const header = [...Array(39).fill('ltp'), ...Array(40).fill('ltd')];
    const rows = Array.from({ length: n + 1 }, (_, k) => cols.map((c) => (k < c.length ? String(c[k]) : '')).join(','));
    const r = app.importCsv(file('uneven.csv', [header.join(','), ...rows].join('\n')), { as: 'ltp-ltd' });
    const phase = Array.from(readChannel(app.db, r.runId, 'phase'));
    const cycle = Array.from(readChannel(app.db, r.runId, 'cycle'));
    expect(new Set(cycle.filter((_, i) => phase[i] === 0)).size).toBe(39);
    expect(new Set(cycle.filter((_, i) => phase[i] === 1)).size).toBe(40);
  });
});

describe('large files', () => {
  it('130 000 retention rows and 200 000 energy rows import (no stack overflow), STDP of 20 000 rows too', () => {
    const app = openApp();
    const ret = ['t_s,g', ...Array.from({ length: 130_000 }, (_, i) => `${(i + 1) * 0.1},${4e-5 + 1e-5 * Math.exp(-Math.sqrt((i + 1) * 0.1 / 300))}`)];
    const r1 = app.importCsv(file('ret-big.csv', ret.join('\n')), { as: 'retention', gBeforeS: 1e-5 });
    expect(app.card(r1.runId).metrics.find((m) => m.id === 'retention.tau')?.status).toBe('value');
    const energy = ['t_s,v_V,i_A', ...Array.from({ length: 200_000 }, (_, i) => {
      const t = i * 1e-8;
      const v = t > 5e-4 && t < 1.5e-3 ? 1.5 : 0.1;
      return `${t},${v},${v * 1e-4}`;
    })];
    const r2 = app.importCsv(file('energy-big.csv', energy.join('\n')), { as: 'energy' });
    const e = app.card(r2.runId).metrics.find((m) => m.id === 'energy.write');
    expect(e?.status).toBe('value');
    // ∫V·I dt over the pulse minus the read-bias share: (1.5² − 1.5·0.1)·1e-4 S·1e-3 s ≈ 2.1e-7 J.
    if (e?.status === 'value') expect(e.value).toBeCloseTo(2.1e-7, 8);
    const stdp = ['dt_s,dw_percent', ...Array.from({ length: 20_000 }, (_, i) => {
      const dt = ((i % 200) - 100) * 1e-3 + 5e-4;
      return `${dt},${dt > 0 ? 60 * Math.exp(-dt / 0.02) : -40 * Math.exp(dt / 0.03)}`;
    })];
    const r3 = app.importCsv(file('stdp-big.csv', stdp.join('\n')), { as: 'stdp' });
    const tau = app.card(r3.runId).metrics.find((m) => m.id === 'stdp.tau_plus');
    expect(tau?.status === 'value' && tau.value).toBeCloseTo(0.02, 4);
  }, 120_000);
});

describe('fuzz: generated and mutated files never crash the import', () => {
  const header: Record<string, string> = Object.fromEntries(IMPORT_KINDS.map((k) => [k, IMPORT_ROLES[k].filter((r) => r !== 'skip').slice(0, k === 'ltp-ltd' ? 2 : 3).join(',')]));
  // Mostly plausible numbers (so many files import), sometimes the things real files hold.
  const cell = fc.oneof(
    { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }).map(String), weight: 6 },
    { arbitrary: fc.integer({ min: 0, max: 50 }).map(String), weight: 6 },
    { arbitrary: fc.constantFrom('', 'NaN', 'x', '1,5', '"2"', '1e999', '-', '#', '"a,b"', ' 3 ', '\u0000', '4294967294', '-1'), weight: 1 },
  );
  const table = fc.integer({ min: 1, max: 4 }).chain((w) => fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 0, maxLength: 12 }));
  const mutate = fc.constantFrom('none', 'crlf', 'cr', 'bom', 'utf16', 'semicolon', 'tab', 'truncate', 'metadata', 'binary');

  for (const kind of IMPORT_KINDS) {
    it(`--as ${kind}: ≥ 1000 files → a run or one clear ImportError, nothing stored on failure`, () => {
      const app = openApp();
      const dir = tempDir();
      let stored = 0;
      let refused = 0;
      fc.assert(
        fc.property(table, mutate, fc.boolean(), fc.integer({ min: 0, max: 1_000_000 }), (rows, how, withHeader, seed) => {
          let text = [...(withHeader ? [header[kind]] : []), ...rows.map((r) => r.join(','))].join('\n');
          if (how === 'crlf') text = text.replace(/\n/g, '\r\n');
          if (how === 'cr') text = text.replace(/\n/g, '\r');
          if (how === 'semicolon') text = text.replace(/,/g, ';');
          if (how === 'tab') text = text.replace(/,/g, '\t');
          if (how === 'truncate') text = text.slice(0, Math.floor(text.length / 2));
          if (how === 'metadata') text = `Instrument: sim\nDate,today\n${text}`;
          let bytes = Buffer.from(text);
          if (how === 'bom') bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
          if (how === 'utf16') bytes = Buffer.from(text, 'utf16le');
          if (how === 'binary') bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => (seed * (i + 7)) % 256));
          const p = join(dir, `f${seed}-${stored + refused}.csv`);
          writeFileSync(p, bytes);
          const before = app.runs().length;
          try {
            app.importCsv(p, { as: kind, again: true, gBeforeS: 1e-5, readVoltageV: 0.1 });
            stored++;
            expect(app.runs().length).toBe(before + 1);
          } catch (e) {
            if (!(e instanceof ImportError)) throw new Error(`${kind}/${how}: ${(e as Error).name}: ${(e as Error).message}\n${text.slice(0, 200)}`);
            expect((e as Error).message.split('\n')).toHaveLength(1);
            expect(app.runs().length).toBe(before);
            refused++;
          }
        }),
        { numRuns: 1000, seed: 7 + IMPORT_KINDS.indexOf(kind) },
      );
      expect(stored + refused).toBe(1000);
      expect(stored, `${kind}: ${stored} stored, ${refused} refused`).toBeGreaterThan(50);
      expect(refused).toBeGreaterThan(50);
    }, 300_000);
  }
});
