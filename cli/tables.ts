import type { RunSummary } from '../db/reader.ts';
import type { QueueItem } from '../app/queue.ts';

export function formatQueueTable(items: QueueItem[]): string {
  if (items.length === 0) return 'the queue is empty';
  const header = ['item', 'device', 'protocol', 'status', 'run', 'parameters', 'note'];
  const rows = items.map((i) => [String(i.id), i.device, i.protocolId, i.status, i.runId === null ? '' : String(i.runId), Object.entries(i.params).map(([k, v]) => `${k}=${v}`).join(' '), i.note ?? '']);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const fmt = (r: string[]) => r.map((c, k) => (k === r.length - 1 ? c : c.padEnd(widths[k]))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

export function formatRunsTable(runs: RunSummary[]): string {
  if (runs.length === 0) return 'no runs yet';
  const header = ['run', 'device', 'protocol', 'status', 'source', 'started (UTC)', 'samples', 'ended because'];
  const rows = runs.map((r) => [String(r.id), r.device, `${r.protocolId} v${r.protocolVersion}`, r.status, r.source, r.startedAt.replace('T', ' ').slice(0, 19), String(r.samples), r.endReason ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
