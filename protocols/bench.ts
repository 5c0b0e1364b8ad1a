// The bench a protocol gets: the source-meter always, and the other roles it asks for,
// built from the station's instruments and wiring. A protocol names roles, never models.

import { GatedLightSource } from '../drivers/instruments/light/gated-light.ts';
import type { Instrument, Oscilloscope, PulseGenerator, RotationStage, SourceMeter } from '../drivers/instruments/roles.ts';
import { ParamError } from './params.ts';
import { type Station, type StationInstrument, voltsPerAmpere } from './station.ts';

/** Roles a protocol may need beyond the source-meter. */
export type BenchRole = 'pulse-generator' | 'light-source' | 'rotation-stage' | 'oscilloscope';

export interface BenchInstruments {
  smu: SourceMeter;
  /** The generator channel wired to the device electrode. */
  generator?: PulseGenerator;
  generatorChannel?: number;
  light?: GatedLightSource;
  stage?: RotationStage;
  /** Stage reading at which the polarizer axis is at 0° in the lab frame. */
  stageOffsetDeg?: number;
  scope?: Oscilloscope;
  /** Which scope channel sees what: the device voltage, and the current as volts (V/A). */
  scopeWiring?: { voltageChannel: number; currentChannel: number; voltsPerAmpere: number };
}

const WHAT: Record<BenchRole, string> = {
  'pulse-generator': 'a pulse generator on the device (wiring.pulseGenerator)',
  'light-source': 'a light source (wiring.lightSource)',
  'rotation-stage': 'a rotation stage holding a polarizer (wiring.rotationStage)',
  oscilloscope: 'an oscilloscope on the device voltage and current (wiring.oscilloscope)',
};

function instrumentIdFor(station: Station, role: BenchRole): string | undefined {
  const w = station.wiring;
  switch (role) {
    case 'pulse-generator':
      return w.pulseGenerator?.instrument;
    case 'light-source':
      return w.lightSource?.instrument;
    case 'rotation-stage':
      return w.rotationStage?.instrument;
    case 'oscilloscope':
      return w.oscilloscope?.instrument;
  }
}

/** The station instruments a run needs, source-meter first, each once; throws a ParamError naming a missing role. */
export function instrumentsFor(station: Station, roles: readonly BenchRole[], protocolId: string): StationInstrument[] {
  const ids = [station.wiring.sourceMeter];
  for (const role of roles) {
    const id = instrumentIdFor(station, role);
    if (!id) throw new ParamError(`${protocolId} needs ${WHAT[role]}, but the station wires none`);
    if (!ids.includes(id)) ids.push(id);
  }
  return ids.map((id) => {
    const def = station.instruments.find((i) => i.id === id);
    if (!def) throw new ParamError(`the station wiring names instrument "${id}", which is not among its instruments`);
    return def;
  });
}

/** The typed bench from connected drivers (by station instrument id). */
export function assembleBench(station: Station, roles: readonly BenchRole[], drivers: Map<string, Instrument>): BenchInstruments {
  const w = station.wiring;
  const smu = drivers.get(w.sourceMeter);
  if (smu?.role !== 'source-meter') throw new ParamError(`"${w.sourceMeter}" is not a connected source-meter`);
  const bench: BenchInstruments = { smu };
  const gen = w.pulseGenerator && drivers.get(w.pulseGenerator.instrument);
  if (gen?.role === 'pulse-generator' && roles.includes('pulse-generator')) {
    bench.generator = gen;
    bench.generatorChannel = w.pulseGenerator?.channel;
  }
  const l = w.lightSource;
  const lightGen = l && drivers.get(l.instrument);
  if (l && lightGen?.role === 'pulse-generator' && roles.includes('light-source')) {
    bench.light = new GatedLightSource(lightGen, { channel: l.channel, gateLevelV: l.gateLevelV, wavelengthNm: l.wavelengthNm, powerMw: l.powerAtSampleMw, ...(l.spotAreaM2 ? { spotAreaM2: l.spotAreaM2 } : {}) });
  }
  const r = w.rotationStage;
  const stage = r && drivers.get(r.instrument);
  if (r && stage?.role === 'rotation-stage' && roles.includes('rotation-stage')) {
    bench.stage = stage;
    bench.stageOffsetDeg = r.angleOffsetDeg;
  }
  const o = w.oscilloscope;
  const scope = o && drivers.get(o.instrument);
  if (o && scope?.role === 'oscilloscope' && roles.includes('oscilloscope')) {
    bench.scope = scope;
    bench.scopeWiring = { voltageChannel: o.voltageChannel, currentChannel: o.currentChannel, voltsPerAmpere: voltsPerAmpere(o.currentSense) };
  }
  return bench;
}
