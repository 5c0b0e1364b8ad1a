import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cardKey } from '../../analysis/card.ts';
import { yNu } from '../../analysis/exp-model.ts';
import type { Metric } from '../../analysis/metric.ts';
import { type SoftBoundsPmax, softBoundsPmaxResponse } from '../../analysis/model-export.ts';
import { readMetrics } from '../../db/reader.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { Rng } from '../../drivers/sim/rng.ts';
import { useTempDir } from '../helpers/temp.ts';
import { useApps } from '../helpers/apps.ts';
import { NEEDS_REFERENCE_DATA, hasReferenceData, referenceFile } from '../helpers/reference-data.ts';
import { syntheticLtpLtdCsv } from '../helpers/synthetic.ts';

const tempDir = useTempDir();
/** A synthetic one-cycle LTP/LTD file (nearly linear potentiation, strongly nonlinear depression). */
function rampFile(): string {
  const file = join(tempDir(), 'ramp.csv');
  writeFileSync(file, syntheticLtpLtdCsv(20, -0.3, 100, 3));
  return file;
}
const openApp = useApps(() => join(tempDir(), 'np.db'));
function get(ms: Metric[], key: string): Metric {
  const m = ms.find((x) => cardKey(x) === key);
  if (!m) throw new Error(`no ${key}`);
  return m;
}

describe.runIf(hasReferenceData)(`importing real data ${NEEDS_REFERENCE_DATA}`, () => {
  it('imports the Gong et al. CSV as a run with the file name and hash, and cards it', () => {
    const app = openApp();
    const { runId, card } = app.importCsv(referenceFile('gong_et_al.csv'), { as: 'ltp-ltd' });
    const run = app.run(runId);
    expect(run.protocolId).toBe('imported');
    expect(run.params.sourceFile).toBe('gong_et_al.csv');
    expect(String(run.params.sha256)).toMatch(/^[0-9a-f]{64}$/);
    expect(run.samples).toBe(2000);
    const ltd = get(card.metrics, 'nl.lsq3:ltd');
    if (ltd.status !== 'value') throw new Error(ltd.reason);
    expect(ltd.value).toBeLessThan(-1); // depression with large steps first
    expect(ltd.quality?.nrmse).toBeGreaterThan(0);
    expect(get(card.metrics, 'dr.ratio:ltp').status).toBe('missing');
    // Re-analysis from the stored samples gives the same card.
    expect(app.recomputeCard(runId).metrics).toEqual(card.metrics);
  });
});

describe('importing external data', () => {
  it('round trip: import → card → export-model → the soft-bounds device reproduces the fitted curve', () => {
    const app = openApp();
    // A clean saturating device as long-format CSV (cycle, phase, pulse, conductance).
    const dir = tempDir();
    const file = join(dir, 'device.csv');
    const r = new Rng(5);
    const lines = ['cycle,phase,pulse,value'];
    const n = 60;
    for (let c = 1; c <= 3; c++) {
      for (let k = 0; k <= n; k++) lines.push(`${c},0,${k},${1e-5 + 5e-5 * yNu(k / n, 1 / 0.4) + 2e-7 * r.normal()}`);
      for (let k = 0; k <= n; k++) lines.push(`${c},1,${k},${1e-5 + 5e-5 * yNu((n - k) / n, 1 / -0.6) + 2e-7 * r.normal()}`);
    }
    writeFileSync(file, lines.join('\n'));
    const { runId, card } = app.importCsv(file, { as: 'ltp-ltd', quantity: 'conductance' });
    const fit = get(card.metrics, 'nl.lsq3:ltp');
    if (fit.status !== 'value') throw new Error(fit.reason);
    expect(fit.extra!.A).toBeCloseTo(0.4, 1);

    const exported = app.exportModel(runId, 'aihwkit') as { softBoundsPmax: SoftBoundsPmax; piecewiseStep: { piecewise_up: number[]; dw_min: number } };
    const sb = exported.softBoundsPmax;
    expect(sb.p_max).toBe(n);
    const map = sb.mapping;
    for (let p = 0; p <= n; p++) {
      const w = softBoundsPmaxResponse(sb, p);
      const g = map.g_at_range_min_S + ((w - sb.range_min) / (sb.range_max - sb.range_min)) * (map.g_at_range_max_S - map.g_at_range_min_S);
      const model = fit.extra!.g_start + fit.extra!.delta_g * yNu(p / n, fit.extra!.nu);
      expect(g / model).toBeCloseTo(1, 10);
    }
    // Saturating device: up-steps shrink as the weight rises.
    const up = exported.piecewiseStep.piecewise_up;
    expect(up[0]).toBeGreaterThan(up[up.length - 2]);
    const ns = app.exportModel(runId, 'neurosim');
    expect(ns.NL_LTP).toBeCloseTo(fit.value, 12);
    expect(ns.maxNumLevelLTP).toBe(n);
  });

  it('imports STDP, PPF, retention, polarization and endurance tables', () => {
    const app = openApp();
    const dir = tempDir();
    const write = (name: string, rows: string[]) => {
      const f = join(dir, name);
      writeFileSync(f, rows.join('\n'));
      return f;
    };
    const dts = Array.from({ length: 40 }, (_, i) => (i - 19.5) * 5e-3);
    const stdp = app.importCsv(write('stdp.csv', ['dt_s,dw_percent', ...dts.map((t) => `${t},${t > 0 ? 50 * Math.exp(-t / 0.02) : -25 * Math.exp(t / 0.03)}`)]), { as: 'stdp' });
    expect(get(stdp.card.metrics, 'stdp.tau_plus').status).toBe('value');
    const pol = app.importCsv(write('pol.tsv', ['# angle, light', ...Array.from({ length: 19 }, (_, k) => `${k * 10}\t${2e-9 + 3e-9 * Math.cos(((k * 10 - 20) * Math.PI) / 180) ** 2}`)]), {
      as: 'polarization',
      darkA: 1e-9,
      conditions: { wavelength_nm: 532, power_W: 1e-6 },
    });
    const pr = get(pol.card.metrics, 'polarization.ratio');
    expect(pr.status === 'value' && pr.value).toBeCloseTo(4, 9);
    expect(pr.conditions).toMatchObject({ wavelength_nm: 532, power_W: 1e-6, source_file: 'pol.tsv' });
    const ts = Array.from({ length: 20 }, (_, k) => 10 ** (k / 4));
    const ret = app.importCsv(write('ret.csv', ts.map((t) => `${t},${2e-5 + 4e-5 * Math.exp(-Math.pow(t / 100, 0.7))}`)), { as: 'retention', gBeforeS: 1e-5 });
    const beta = get(ret.card.metrics, 'retention.beta');
    expect(beta.status === 'value' && beta.value).toBeCloseTo(0.7, 4);
    const end = app.importCsv(write('end.csv', Array.from({ length: 300 }, (_, c) => `${c + 1},1e-6,${c < 250 ? 1e-5 : 1.5e-6}`)), { as: 'endurance' });
    const cycles = get(end.card.metrics, 'endurance.cycles');
    expect(cycles.status === 'value' && cycles.value).toBe(250);
    const ppf = app.importCsv(write('ppf.csv', [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2].map((d) => `${d},${1 + 0.5 * Math.exp(-d / 0.2)}`)), { as: 'ppf' });
    const ratio = get(ppf.card.metrics, 'ppf.ratio');
    expect(ratio.status === 'value' && ratio.value).toBeCloseTo(1 + 0.5 * Math.exp(-0.1), 12);
  });

  it('names the line and column of a bad cell, and a column-count mismatch', () => {
    const app = openApp();
    const dir = tempDir();
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'ltp,ltd\n1,2\n3,x4\n');
    expect(() => app.importCsv(bad, { as: 'ltp-ltd' })).toThrow(/bad\.csv line 3, column 2 \(ltd\): "x4" is not a number/);
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, '1,2\n3\n');
    expect(() => app.importCsv(ragged, { as: 'ltp-ltd' })).toThrow(/ragged\.csv line 2: 1 columns, expected 2/);
    expect(() => app.importCsv(ragged, { as: 'spectra' })).toThrow(/--as "spectra" is not one of ltp-ltd, stdp/);
    expect(() => app.importCsv(rampFile(), { as: 'ltp-ltd', columns: 'ltp,bogus' })).toThrow(/unknown column role "bogus"/);
    expect(app.runs()).toEqual([]);
  });
});

describe('re-analysis, cards, comparison', () => {
  it('analyze stores metrics with new options beside the old ones', async () => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 3 }, station: simulatedStation(), device: 'D1' });
    const card = app.analyze(r.runId!, { skipCycles: 1 });
    expect(card.analysisVersion).toMatch(/\+skipCycles=1$/);
    expect(get(card.metrics, 'cv.state:ltp').conditions.cycles).toBe(2);
    const versions = app.db.prepare('SELECT DISTINCT analysis_version FROM metrics WHERE run_id = ?').all(r.runId) as { analysis_version: string }[];
    expect(versions.length).toBe(2);
    expect(readMetrics(app.db, r.runId!, card.analysisVersion).metrics.length).toBe(card.metrics.length);
    expect(() => app.analyze(r.runId!, { bogus: 1 })).toThrow(/unknown analysis option "bogus"/);
    // The card's figures show what its analysis used: cycle 1 is no longer drawn.
    const { cardFigures } = await import('../../app/stored-analysis.ts');
    const names = cardFigures(app.db, r.runId!)[0].traces.map((t) => t.name).filter((n) => /^cycle \d/.test(n));
    expect(names).toEqual(['cycle 2', 'cycle 3']);
  });

  it('renders Markdown and self-contained HTML with the figures, and compares with Table 3', async () => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station: simulatedStation(), device: 'D1' });
    const g = app.importCsv(rampFile(), { as: 'ltp-ltd' });
    const md = app.cardMarkdown(r.runId!);
    expect(md).toMatch(/^# Benchmark card: D1/);
    expect(md).toMatch(/\| `nl\.lsq3:ltp` \| 2\.\d+ ± /);
    expect(md).toMatch(/## Table 3 row/);
    const html = app.cardHtml(r.runId!);
    expect(html).toMatch(/<script>[\s\S]*Plotly/);
    expect(html).not.toMatch(/<script src=/);
    const embedded = JSON.parse(/<script type="application\/json" id="card">([\s\S]*?)<\/script>/.exec(html)![1]);
    expect(embedded).toEqual(JSON.parse(JSON.stringify(app.card(r.runId!))));
    expect(html).toMatch(/Plotly\.newPlot\('fig0'/);
    expect(html).toMatch(/nl\.lsq3 fit \(label 2\.\d\d\)/);
    const cmp = app.compare([r.runId!, g.runId], true);
    expect(cmp).toMatch(/\| D1 \| 2\.\d+\/-3\.\d+ \| \d+\.\d+ \(LTP\) \d+\.\d+ \(LTD\) \|/);
    expect(cmp).toMatch(/\| ramp \| 0\.\d+\/-3\.\d+ \| \d+\.\d+ \(LTP\) \d+\.\d+ \(LTD\) \| – \| – \| NeuroProbe run 2 \(imported\) \|/);
    expect(cmp).toMatch(/\| Ferroelectric CIPS \| 0\.7\/4\.9 \| 24\.2 \| &gt; 10\^4 \|/);
    expect(cmp).toMatch(/not directly comparable/);
  });
});

describe('card exchange format', () => {
  it('every card the app produces validates against the card schema; a broken one is refused by field', async () => {
    const { parseCard, cardJsonSchema } = await import('../../analysis/card-schema.ts');
    const app = openApp();
    const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 2 }, station: simulatedStation(), device: 'D1' });
    const g = app.importCsv(rampFile(), { as: 'ltp-ltd' });
    for (const id of [r.runId!, g.runId]) {
      const json = JSON.parse(JSON.stringify(app.card(id)));
      expect(parseCard(json, `card ${id}`)).toEqual(json);
    }
    const broken = JSON.parse(JSON.stringify(app.card(r.runId!)));
    broken.metrics[1].status = 'maybe';
    delete broken.device;
    expect(() => parseCard(broken, 'broken.json')).toThrow(/broken\.json is not a valid benchmark card: device: .*metrics\.1\.status/);
    const schema = cardJsonSchema();
    expect(schema.title).toBe('NeuroProbe benchmark card');
    expect(JSON.stringify(schema)).toContain('"const":"neuroprobe.benchmark-card"');
  });
});

describe('importing a pulse waveform', () => {
  it('finds the pulse, subtracts the read-bias baseline and integrates V·I', () => {
    const app = openApp();
    const file = join(tempDir(), 'pulse.csv');
    // 0.1 V read bias, then a 1.5 V, 1 µs pulse with 50 ns edges, on a 10 kΩ device.
    const rows = ['t_s,v_V,i_A'];
    for (let k = 0; k <= 3000; k++) {
      const t = k * 1e-9;
      const v = t < 1e-6 ? 0.1 : t < 1.05e-6 ? 0.1 + (1.4 * (t - 1e-6)) / 50e-9 : t < 2.05e-6 ? 1.5 : t < 2.1e-6 ? 1.5 - (1.4 * (t - 2.05e-6)) / 50e-9 : 0.1;
      rows.push(`${t},${v},${v / 1e4}`);
    }
    writeFileSync(file, rows.join('\n'));
    const { card } = app.importCsv(file, { as: 'energy' });
    const e = get(card.metrics, 'energy.write');
    if (e.status !== 'value') throw new Error(e.reason);
    // Exact: ∫ V·(V − 0.1)/R dt over the pulse, flat top plus two linear edges.
    const flat = (1.5 * 1.4) / 1e4 * 1e-6;
    const edge = (50e-9 / 1e4) * (0.1 * 0.7 + 1.4 * 1.4 / 3); // ∫₀¹ (0.1 + 1.4u)(1.4u) du · 50 ns / R
    expect(e.value / (flat + 2 * edge)).toBeCloseTo(1, 3);
    expect(e.extra!.baseline_current_A / 1e-5).toBeCloseTo(1, 3); // the read-bias current, V_read / R
  });
});
