// Human renderings of a benchmark card: Markdown, and self-contained HTML with plotly
// figures of the curves and fits (the caller passes plotly's source to inline, keeping
// this module free of I/O).

import { type BenchmarkCard, cardKey, formatNumber, instrumentLines, sourceLabel } from './card.ts';
import type { Metric } from './metric.ts';
import { type Table3Row, table3Row } from './table3.ts';
import { dieMapMarkdown } from './die-map.ts';
import { deviceToDevice, deviceYield, minimumsCriterion } from './variation.ts';

export interface FigureTrace {
  name: string;
  x: number[];
  y: number[];
  mode: 'markers' | 'lines' | 'lines+markers';
}

export interface CardFigure {
  title: string;
  xTitle: string;
  yTitle: string;
  traces: FigureTrace[];
  logY?: boolean;
}

function valueCell(m: Metric): string {
  if (m.status === 'missing') return `missing: ${m.reason}`;
  const unit = m.unit === '1' ? '' : ` ${m.unit}`;
  const err = m.stderr !== undefined ? ` ± ${formatNumber(m.stderr, 2)}` : '';
  return `${formatNumber(m.value)}${err}${unit}`;
}

/** Text shown literally in Markdown: no HTML, no emphasis, links or table breaks from names and reasons. */
export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|#~]/g, (c) => `\\${c}`)
    .replace(/[\r\n]+/g, ' ');
}

function conditionsText(card: BenchmarkCard): string {
  return Object.entries(card.conditions)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? formatNumber(v) : v}`)
    .join('; ');
}

export function table3Markdown(rows: Table3Row[]): string {
  const lines = ['| device | nonlinearity (LTP/LTD) | dynamic range | endurance | energy per spike | source | convention |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${[r.device, r.nonlinearity, r.dynamicRange, r.endurance, r.energyPerSpike, r.source, r.convention].map(esc).join(' | ')} |`);
  return lines.join('\n');
}

export function renderCardMarkdown(card: BenchmarkCard): string {
  const out = [
    `# Benchmark card: ${esc(card.device)}`,
    '',
    `Protocol **${card.protocol.id} v${card.protocol.version}**, run ${card.runIds.join(', ')} (${card.runStatus}); analysis ${card.analysisVersion}; definitions in NeuroProbe's docs/metrics.md (version 1).`,
    '',
    `**Source:** ${sourceLabel(card.source)}`,
    '',
    `**Conditions:** ${esc(conditionsText(card)) || 'none recorded'}`,
    ...instrumentLines(card).map((l) => `**Instrument:** ${esc(l)}`),
    '',
    '| metric | value | convention | fit quality | method |',
    '|---|---|---|---|---|',
  ];
  for (const m of card.metrics) {
    const q = m.status === 'value' && m.quality ? [m.quality.nrmse !== undefined ? `nRMSE ${formatNumber(100 * m.quality.nrmse, 2)} %` : '', m.quality.aic !== undefined ? `AIC ${formatNumber(m.quality.aic, 4)}` : ''].filter(Boolean).join(', ') : '';
    out.push(`| \`${cardKey(m)}\` | ${m.status === 'missing' ? `*${esc(valueCell(m))}*` : esc(valueCell(m))} | ${esc(m.convention ?? '')} | ${q} | ${esc(m.method)} |`);
  }
  out.push('', '## Table 3 row', '', table3Markdown([table3Row(card)]));
  return out.join('\n') + '\n';
}

function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderCardHtml(card: BenchmarkCard, figures: CardFigure[], plotlySource: string): string {
  const rows = card.metrics
    .map((m) => `<tr class="${m.status}"><td><code>${escHtml(cardKey(m))}</code></td><td>${escHtml(valueCell(m))}</td><td>${escHtml(m.convention ?? '')}</td><td>${escHtml(m.method)}</td></tr>`)
    .join('\n');
  const t3 = table3Row(card);
  const figDivs = figures.map((_, i) => `<div id="fig${i}" class="fig"></div>`).join('\n');
  const figJs = figures
    .map(
      (f, i) =>
        `Plotly.newPlot('fig${i}', ${JSON.stringify(f.traces.map((t) => ({ type: 'scatter', name: t.name, x: t.x, y: t.y, mode: t.mode })))}, ${JSON.stringify({
          title: { text: f.title },
          xaxis: { title: { text: f.xTitle } },
          yaxis: { title: { text: f.yTitle }, type: f.logY ? 'log' : 'linear' },
          margin: { t: 40, r: 10 },
        })}, {displaylogo: false, responsive: true});`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Benchmark card: ${escHtml(card.device)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;width:100%;font-size:0.9em}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
tr.missing td{color:#999}p.source.simulated{background:#fff3cd;border:1px solid #e0b000;padding:4px 8px;font-weight:bold}code{font-size:0.95em}.fig{width:100%;height:380px}
</style>
<script>${plotlySource.replace(/<\/script/gi, '<\\/script')}</script>
</head><body>
<h1>Benchmark card: ${escHtml(card.device)}</h1>
<p>Protocol <b>${escHtml(card.protocol.id)} v${escHtml(card.protocol.version)}</b>, run ${card.runIds.join(', ')} (${escHtml(card.runStatus)}); analysis ${escHtml(card.analysisVersion)}.</p>
<p class="source ${card.source}"><b>Source:</b> ${escHtml(sourceLabel(card.source))}</p>
<p><b>Conditions:</b> ${escHtml(conditionsText(card) || 'none recorded')}</p>
${instrumentLines(card).map((l) => `<p><b>Instrument:</b> ${escHtml(l)}</p>`).join('\n')}
${figDivs}
<h2>Metrics</h2>
<table><tr><th>metric</th><th>value</th><th>convention</th><th>method</th></tr>
${rows}
</table>
<h2>Table 3 row</h2>
<table><tr><th>nonlinearity (LTP/LTD)</th><th>dynamic range</th><th>endurance</th><th>energy per spike</th></tr>
<tr><td>${escHtml(t3.nonlinearity)}</td><td>${escHtml(t3.dynamicRange)}</td><td>${escHtml(t3.endurance)}</td><td>${escHtml(t3.energyPerSpike)}</td></tr></table>
<script type="application/json" id="card">${JSON.stringify(card).replace(/</g, '\\u003c')}</script>
<script>${figJs}</script>
</body></html>
`;
}

/** Several cards side by side (Table-3 columns), optionally with the review's reference rows. */
export function comparisonMarkdown(cards: BenchmarkCard[], reference: Table3Row[] = []): string {
  const rows = [...cards.map(table3Row), ...reference];
  return table3Markdown(rows) + '\n';
}

const D2D_KEYS = ['nl.lsq3:ltp', 'nl.lsq3:ltd', 'dr.ratio:ltp', 'dr.ratio:ltd', 'c2c.step_range:ltp', 'endurance.cycles'];

/** Yield under a stored pass criterion and device-to-device variation across the cards' devices. */
export function variationMarkdown(cards: BenchmarkCard[], passMinimums: Record<string, number>): string {
  const criterion = minimumsCriterion(passMinimums, cardKey);
  const { metric, pass } = deviceYield(
    cards.map((c) => ({ device: `${c.device} (run ${c.runIds.join(',')})`, metrics: c.metrics })),
    criterion,
    {},
  );
  const lines = [`**Yield:** ${valueCell(metric)} — pass criterion: ${criterion.text}`, ''];
  lines.push('| device | pass |', '|---|---|', ...Object.entries(pass).map(([d, ok]) => `| ${esc(d)} | ${ok ? 'pass' : 'fail'} |`), '');
  const map = dieMapMarkdown(cards.map((c) => ({ device: c.device, pass: criterion.test(c.metrics) })));
  if (map) lines.push('**Die map**', '', map, '');
  lines.push('| metric | device-to-device σ/μ | devices |', '|---|---|---|');
  for (const key of D2D_KEYS) {
    const values = cards.map((c) => {
      const m = c.metrics.find((x) => cardKey(x) === key);
      return { device: c.device, value: m?.status === 'value' ? m.value : null };
    });
    if (values.every((v) => v.value === null)) continue;
    const d = deviceToDevice(key, values, {});
    lines.push(`| \`d2d.${key}\` | ${esc(valueCell(d))} | ${values.filter((v) => v.value !== null).length} |`);
  }
  return lines.join('\n') + '\n';
}
