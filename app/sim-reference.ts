// What the simulated device should give: its configured NeuroSim labels, and the
// metrics of the same protocol played on a noise-free copy of the simulated bench.
// The demo prints these beside the measured card so a user sees the analysis recover
// the truth (and how much the noise moves it).

import { nlLabelFromA } from '../analysis/exp-model.ts';
import type { Metric } from '../analysis/metric.ts';
import { SimBench } from '../drivers/sim/bench.ts';
import { getProtocol } from '../protocols/registry.ts';
import { runProtocol } from '../protocols/runner.ts';
import { type Station, simBenchConfig } from '../protocols/station.ts';

export interface SimReference {
  nlLtp: number;
  nlLtd: number;
  aLtp: number;
  aLtd: number;
  noiseFreeMetrics: Metric[];
}

export async function simulatedDeviceReference(station: Station, device: string, protocolId: string, params: Record<string, unknown>): Promise<SimReference> {
  const cfg = simBenchConfig(station);
  const bench = new SimBench({ ...cfg, faults: [], realTimeFactor: undefined, device: { ...(cfg.device ?? {}), c2cStepSigma: 0, readNoiseSigma: 0 } });
  const out = await runProtocol({ protocol: getProtocol(protocolId), params, station, device, sim: bench });
  if (out.status !== 'completed') throw new Error(`noise-free reference run ${out.status}: ${out.reason}`);
  const p = bench.dut.params;
  return { nlLtp: nlLabelFromA(p.aLtp), nlLtd: nlLabelFromA(p.aLtd), aLtp: p.aLtp, aLtd: p.aLtd, noiseFreeMetrics: out.metrics };
}
