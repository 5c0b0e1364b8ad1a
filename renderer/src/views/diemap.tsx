// A die map: one cell per position taken from device names (W1-R3C5 → row 3, column 5,
// or X5Y3), coloured by a state — pass/fail in Compare, the queue status in Queue.

export interface DieCell {
  device: string;
  row: number;
  col: number;
  /** CSS class of the cell: pass, fail, pending, running, completed, failed, aborted … */
  state: string;
  label: string;
  title: string;
}

export function DieMap({ cells, testId }: { cells: DieCell[]; testId: string }) {
  const rows = cells.map((c) => c.row);
  const cols = cells.map((c) => c.col);
  const [r0, r1, c0, c1] = [Math.min(...rows), Math.max(...rows), Math.min(...cols), Math.max(...cols)];
  const at = new Map(cells.map((c) => [`${c.row},${c.col}`, c]));
  return (
    <table className="diemap" data-testid={testId}>
      <tbody>
        {Array.from({ length: r1 - r0 + 1 }, (_, i) => r0 + i).map((r) => (
          <tr key={r}>
            <th>R{r}</th>
            {Array.from({ length: c1 - c0 + 1 }, (_, j) => c0 + j).map((c) => {
              const cell = at.get(`${r},${c}`);
              return (
                <td key={c} className={cell ? cell.state : 'empty'} title={cell ? cell.title : 'not in this set'}>
                  {cell ? cell.label : '·'}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
