import type { RunSummary } from '../db/reader.ts';

export function formatRunsTable(runs: RunSummary[]): string {
  if (runs.length === 0) return 'no runs yet';
  const header = ['run', 'device', 'protocol', 'status', 'source', 'started (UTC)', 'samples', 'ended because'];
  const rows = runs.map((r) => [String(r.id), r.device, `${r.protocolId} v${r.protocolVersion}`, r.status, r.source, r.startedAt.replace('T', ' ').slice(0, 19), String(r.samples), r.endReason ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
