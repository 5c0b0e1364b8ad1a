// A progress line on stderr: redrawn in place on a terminal; otherwise a line every
// 10 % and at least every 5 s.

export class ProgressLine {
  private lastDecile = -1;
  /** Latest live metric per key, shown after the message. */
  private readonly liveValues = new Map<string, string>();
  private lastPrintMs = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  /** Metrics of what is complete (latest per key; the line shows the last three keys). */
  live(points: { key: string; at: number; atLabel: string; value: number; unit: string }[]): void {
    for (const p of points) {
      this.liveValues.delete(p.key);
      this.liveValues.set(p.key, `${p.key} ${Number(p.value.toPrecision(3))}${p.unit === '1' ? '' : ` ${p.unit}`}`);
    }
  }

  update(done: number, total: number, text: string): void {
    const frac = total > 0 ? done / total : 0;
    const shown = [...this.liveValues.values()].slice(-3);
    const message = shown.length ? `${text}  |  ${shown.join(', ')}` : text;
    if (this.tty) {
      const width = 30;
      const filled = Math.round(frac * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * frac).toFixed(0).padStart(3)} %  ${message}\x1b[K`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastDecile || Date.now() - this.lastPrintMs > 5000) {
        this.lastDecile = decile;
        this.lastPrintMs = Date.now();
        process.stderr.write(`${(100 * frac).toFixed(0).padStart(3)} %  ${message}\n`);
      }
    }
  }

  end(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
