// Exports a stored run for Python/MATLAB/spreadsheets: CSV (one column per channel,
// units in the header) or JSON (catalogue, parameters, channels, events, metrics).

import type { Db } from './database.ts';
import { getRun, readAllChannels, readEvents, readMetrics } from './reader.ts';

export type ExportFormat = 'csv' | 'json';

export function exportRunCsv(db: Db, runId: number): string {
  const run = getRun(db, runId);
  const data = readAllChannels(db, runId);
  const names = run.channels.map((c) => c.name);
  const n = Math.max(0, ...names.map((k) => data[k].length));
  const lines = [
    `# NeuroProbe run ${run.id}, device ${run.device}, ${run.protocolId} v${run.protocolVersion}, status ${run.status}, source ${run.source}${run.simulation ? ` (simulated bench, seed ${String(run.simulation.seed)})` : ''}`,
    `# parameters: ${JSON.stringify(run.params)}`,
    run.channels.map((c) => `${c.name} [${c.unit}]`).join(','),
  ];
  for (let i = 0; i < n; i++) lines.push(names.map((k) => (i < data[k].length ? String(data[k][i]) : '')).join(','));
  return lines.join('\n') + '\n';
}

export function exportRunJson(db: Db, runId: number): string {
  const run = getRun(db, runId);
  const data = readAllChannels(db, runId);
  const { analysisVersion, metrics } = readMetrics(db, runId);
  return JSON.stringify(
    {
      format: 'neuroprobe.run-export',
      formatVersion: 1,
      run: { ...run, station: JSON.parse(run.station.json) },
      channels: Object.fromEntries(run.channels.map((c) => [c.name, { unit: c.unit, description: c.description, values: Array.from(data[c.name]) }])),
      events: readEvents(db, runId),
      analysisVersion,
      metrics,
    },
    null,
    1,
  );
}
