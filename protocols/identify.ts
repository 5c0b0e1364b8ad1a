// Connecting to each instrument of a station on its own, for the station-level commands
// (identify, check, safe-off): one instrument's failure is reported and the next is
// tried; every connection is closed. Identification asks *IDN? (and what the driver
// needs to be sure of the model) and nothing else.

import { instrumentDriver, openInstrumentTransport } from './open-instrument.ts';
import type { Instrument } from '../drivers/instruments/roles.ts';
import { SimBench, isSimulatorIdn } from '../drivers/sim/bench.ts';
import { parseResource } from '../drivers/transport/resource.ts';
import { type Station, type StationInstrument, simBenchConfig, usesSimulator } from './station.ts';

export interface IdentifyResult {
  id: string;
  resource: string;
  ok: boolean;
  idn: string | null;
  simulated: boolean;
  message: string;
  /** With `outputs`: the instrument's output state (queried, never changed). */
  outputs?: { anyOn: boolean; text: string };
  /** With `outputs`: what the instrument reports (mains frequency, firmware, options, …). */
  settings?: Record<string, number | string>;
  /** With `outputs`: entries that were waiting in the error queue (reading it empties it). */
  errors?: string[];
}

type Connect = () => Promise<{ driver: Instrument; idn: string }>;

/**
 * Runs `fn` for each instrument with a `connect` that opens it and checks its identity;
 * an error in one instrument becomes its `{ ok: false, message }` result.
 */
export async function forEachInstrument<R extends { ok: boolean; message: string }>(
  station: Station,
  sim: SimBench | undefined,
  fn: (def: StationInstrument, connect: Connect) => Promise<Omit<R, 'id' | 'resource'>>,
  failed: (message: string) => Omit<R, 'id' | 'resource'> = (message) => ({ ok: false, message }) as Omit<R, 'id' | 'resource'>,
): Promise<(R & { id: string; resource: string })[]> {
  const bench = sim ?? (usesSimulator(station) ? new SimBench(simBenchConfig(station)) : undefined);
  const out: (R & { id: string; resource: string })[] = [];
  for (const def of station.instruments) {
    let close: (() => Promise<void>) | null = null;
    const connect: Connect = async () => {
      let transport;
      try {
        transport = await openInstrumentTransport(def, bench);
      } catch (e) {
        throw new Error(`could not connect: ${(e as Error).message}`);
      }
      close = () => transport.close();
      const driver = instrumentDriver(def, station, transport);
      return { driver, idn: await driver.identify() };
    };
    try {
      out.push({ id: def.id, resource: def.resource, ...(await fn(def, connect)) } as R & { id: string; resource: string });
    } catch (e) {
      out.push({ id: def.id, resource: def.resource, ...failed((e as Error).message) } as R & { id: string; resource: string });
    } finally {
      await (close as (() => Promise<void>) | null)?.().catch(() => undefined);
    }
  }
  return out;
}

export async function identifyStation(station: Station, sim?: SimBench, opts: { outputs?: boolean } = {}): Promise<IdentifyResult[]> {
  return forEachInstrument<IdentifyResult>(
    station,
    sim,
    async (def, connect) => {
      const { driver, idn } = await connect();
      const simulated = parseResource(def.resource).kind === 'sim' || isSimulatorIdn(idn);
      const outputs = opts.outputs ? await driver.describeOutputs() : undefined;
      const settings = opts.outputs && driver.settings ? await driver.settings() : undefined;
      const errors = opts.outputs && driver.errorQueue ? await driver.errorQueue() : undefined;
      return { ok: true, idn, simulated, message: `${simulated ? 'simulated ' : ''}${idn.split(',').slice(0, 2).map((f) => f.trim()).join(' ')}`, ...(outputs ? { outputs } : {}), ...(settings ? { settings } : {}), ...(errors ? { errors } : {}) };
    },
    (message) => ({ ok: false, idn: null, simulated: false, message }),
  );
}
