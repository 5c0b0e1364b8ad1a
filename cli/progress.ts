// A progress line on stderr: redrawn in place on a terminal; otherwise a line every
// 10 % and at least every 5 s.

export class ProgressLine {
  private lastDecile = -1;
  private lastPrintMs = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  update(done: number, total: number, message: string): void {
    const frac = total > 0 ? done / total : 0;
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
