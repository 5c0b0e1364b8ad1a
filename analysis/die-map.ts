// A wafer/die map of pass/fail (metrics.md §3), from positions carried in device names:
// `…R<row>C<col>…` or `…X<col>Y<row>…` (case-insensitive), e.g. W1-R3C5 or W2_X-1Y4.

export interface DiePosition {
  row: number;
  col: number;
}

export function positionFromName(name: string): DiePosition | null {
  const rc = /R(-?\d+)C(-?\d+)/i.exec(name);
  if (rc) return { row: Number(rc[1]), col: Number(rc[2]) };
  const xy = /X(-?\d+)Y(-?\d+)/i.exec(name);
  if (xy) return { row: Number(xy[2]), col: Number(xy[1]) };
  return null;
}

/**
 * Markdown grid: `pass`, `FAIL`, or `·` for a position without a tested device; rows and
 * columns span the positions seen. Devices without a position are listed below the map.
 */
export function dieMapMarkdown(results: { device: string; pass: boolean }[]): string | null {
  const placed = results.flatMap((r) => {
    const p = positionFromName(r.device);
    return p ? [{ ...r, ...p }] : [];
  });
  if (placed.length === 0) return null;
  const rows = placed.map((p) => p.row);
  const cols = placed.map((p) => p.col);
  const [r0, r1, c0, c1] = [Math.min(...rows), Math.max(...rows), Math.min(...cols), Math.max(...cols)];
  const cell = new Map(placed.map((p) => [`${p.row},${p.col}`, p]));
  const header = ['row \\ col', ...Array.from({ length: c1 - c0 + 1 }, (_, i) => String(c0 + i))];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (let r = r0; r <= r1; r++) {
    const cells = Array.from({ length: c1 - c0 + 1 }, (_, i) => {
      const d = cell.get(`${r},${c0 + i}`);
      return d ? (d.pass ? 'pass' : 'FAIL') : '·';
    });
    lines.push(`| ${r} | ${cells.join(' | ')} |`);
  }
  const unplaced = results.filter((r) => !positionFromName(r.device)).map((r) => r.device);
  if (unplaced.length) lines.push('', `Not on the map (no R<row>C<col> or X<col>Y<row> in the name): ${unplaced.join(', ')}`);
  return lines.join('\n');
}
