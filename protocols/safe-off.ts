// `neuroprobe safe-off <station>`: after a process was killed outright (SIGKILL, power
// loss, a crash of the computer) the instruments keep their last program — a source may
// still be on, a trigger model still pulsing. This connects to every instrument of a
// station, checks it is the declared model, and drives it to 0 V / output off, reporting
// per instrument.

import { parseResource } from '../drivers/transport/resource.ts';
import { forEachInstrument } from './identify.ts';
import type { Station } from './station.ts';

export interface SafeOffResult {
  id: string;
  resource: string;
  ok: boolean;
  message: string;
}

export async function safeOffStation(station: Station): Promise<SafeOffResult[]> {
  return forEachInstrument(station, undefined, async (def, connect) => {
    if (parseResource(def.resource).kind === 'sim') return { ok: true, message: 'in-process simulated instrument: nothing outlives the process that ran it' };
    const { driver, idn } = await connect();
    await driver.safeOff();
    return { ok: true, message: `${idn.split(',').slice(0, 2).join(' ')}: output off at 0 V (confirmed)` };
  });
}
