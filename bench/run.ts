export async function runBenchmarks(): Promise<void> {
  process.stdout.write('benchmarks: not yet written\n');
}
