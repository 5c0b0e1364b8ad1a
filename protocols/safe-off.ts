// `neuroprobe safe-off <station>`: after a process was killed outright (SIGKILL, power
// loss, a crash of the computer) the instruments keep their last program — a source may
// still be on, a trigger model still pulsing. This connects to every instrument of a
// station, checks it is the declared model, and drives it to 0 V / output off, reporting
// per instrument.

import { createDriver, openTransport } from '../drivers/connect.ts';
import { parseResource } from '../drivers/transport/resource.ts';
import type { Station } from './station.ts';

export interface SafeOffResult {
  id: string;
  resource: string;
  ok: boolean;
  message: string;
}

export async function safeOffStation(station: Station): Promise<SafeOffResult[]> {
  const results: SafeOffResult[] = [];
  for (const def of station.instruments) {
    if (parseResource(def.resource).kind === 'sim') {
      results.push({ id: def.id, resource: def.resource, ok: true, message: 'in-process simulated instrument: nothing outlives the process that ran it' });
      continue;
    }
    let transport;
    try {
      transport = await openTransport(def.resource, { timeoutMs: def.timeoutMs, viaPyvisa: def.transport === 'pyvisa', baudRate: def.baudRate });
    } catch (e) {
      results.push({ id: def.id, resource: def.resource, ok: false, message: `could not connect: ${(e as Error).message}` });
      continue;
    }
    try {
      const inst = createDriver(def.model, transport);
      const idn = await inst.identify();
      await inst.safeOff();
      results.push({ id: def.id, resource: def.resource, ok: true, message: `${idn.split(',').slice(0, 2).join(' ')}: output off at 0 V (confirmed)` });
    } catch (e) {
      results.push({ id: def.id, resource: def.resource, ok: false, message: (e as Error).message });
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
  return results;
}
