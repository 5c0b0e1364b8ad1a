// How the bench prints: one line per figure, and min / median / max of repeats.

export function line(name: string, value: string): void {
  process.stdout.write(`  ${name.padEnd(52)} ${value}\n`);
}

export function summary(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
}

/** "min a / median b / max c unit" of values from repeats. */
export function spread(xs: number[], digits: number, unit = ''): string {
  const s = summary(xs);
  return `min ${s.min.toFixed(digits)} / median ${s.median.toFixed(digits)} / max ${s.max.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}
