import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes a station file of the in-process simulated 2450 whose trains play in wall-clock time (× factor); returns its path. */
export function writePacedSimStation(dir: string, seed: number, realTimeFactor: number, name = 'paced.json'): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      name: 'paced sim',
      instruments: [{ id: 'smu', model: 'keithley2450', resource: 'SIM::keithley2450', role: 'source-meter' }],
      wiring: { sourceMeter: 'smu' },
      limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-6 },
      simulation: { seed, realTimeFactor },
    }),
  );
  return path;
}
