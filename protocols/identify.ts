// Identifies every instrument of a station: connects, asks *IDN? (nothing else is sent),
// and says whether the answer is the declared model and whether it is a NeuroProbe
// simulated instrument. For the Bench view and `neuroprobe safe-off`'s cousin checks.

import { createDriver, openTransport } from '../drivers/connect.ts';
import { SimBench, isSimulatorIdn } from '../drivers/sim/bench.ts';
import { parseResource } from '../drivers/transport/resource.ts';
import { type Station, usesSimulator } from './station.ts';

export interface IdentifyResult {
  id: string;
  resource: string;
  ok: boolean;
  idn: string | null;
  simulated: boolean;
  message: string;
  /** With `outputs`: the instrument's output state (queried, never changed). */
  outputs?: { anyOn: boolean; text: string };
}

export async function identifyStation(station: Station, sim?: SimBench, opts: { outputs?: boolean } = {}): Promise<IdentifyResult[]> {
  const bench = sim ?? (usesSimulator(station) ? new SimBench(station.simulation ?? {}) : undefined);
  const out: IdentifyResult[] = [];
  for (const def of station.instruments) {
    let transport;
    try {
      transport = await openTransport(def.resource, { sim: bench, timeoutMs: def.timeoutMs, viaPyvisa: def.transport === 'pyvisa', baudRate: def.baudRate });
    } catch (e) {
      out.push({ id: def.id, resource: def.resource, ok: false, idn: null, simulated: false, message: `could not connect: ${(e as Error).message}` });
      continue;
    }
    try {
      const driver = createDriver(def.model, transport);
      const idn = await driver.identify();
      const simulated = parseResource(def.resource).kind === 'sim' || isSimulatorIdn(idn);
      const outputs = opts.outputs ? await driver.describeOutputs() : undefined;
      out.push({ id: def.id, resource: def.resource, ok: true, idn, simulated, message: `${simulated ? 'simulated ' : ''}${idn.split(',').slice(0, 2).join(' ')}`, ...(outputs ? { outputs } : {}) });
    } catch (e) {
      out.push({ id: def.id, resource: def.resource, ok: false, idn: null, simulated: false, message: (e as Error).message });
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
  return out;
}
