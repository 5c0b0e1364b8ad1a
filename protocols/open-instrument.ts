// Opening one station instrument: the transport its resource names (with its model's
// message framing) and its driver, configured from the station (a stage's travel and
// bus address). Shared by runs, identification and station checks.

import { createDriver, openTransport } from '../drivers/connect.ts';
import type { Instrument } from '../drivers/instruments/roles.ts';
import type { SimBench } from '../drivers/sim/bench.ts';
import type { Transport } from '../drivers/transport/transport.ts';
import type { Station, StationInstrument } from './station.ts';

export function openInstrumentTransport(def: StationInstrument, sim: SimBench | undefined): Promise<Transport> {
  return openTransport(def.resource, { sim, model: def.model, timeoutMs: def.timeoutMs, viaPyvisa: def.transport === 'pyvisa', baudRate: def.baudRate });
}

export function instrumentDriver(def: StationInstrument, station: Station, transport: Transport): Instrument {
  const r = station.wiring.rotationStage;
  const stage = r && r.instrument === def.id ? { limits: { minDeg: r.minDeg, maxDeg: r.maxDeg } } : {};
  return createDriver(def.model, transport, { smuChannel: def.smuChannel, stage: { ...stage, ...(def.address ? { address: def.address } : {}), moveTimeoutMs: Math.max(def.timeoutMs, 10_000) } });
}
