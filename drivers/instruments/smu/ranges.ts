// Range selection shared by the SMU drivers.

/** The smallest range that holds |value|, else the largest. */
export function smallestRange(value: number, ranges: readonly number[]): number {
  return ranges.find((r) => Math.abs(value) <= r) ?? ranges[ranges.length - 1];
}
