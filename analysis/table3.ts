// Rows comparable to the review's Table 3 (nonlinearity LTP/LTD, dynamic range,
// endurance, energy per spike), built from a card, and the review's reference devices.

import { type BenchmarkCard, cardKey, formatNumber } from './card.ts';
import type { Metric } from './metric.ts';

export interface Table3Row {
  device: string;
  source: string;
  nonlinearity: string;
  dynamicRange: string;
  endurance: string;
  energyPerSpike: string;
  /** Which definitions the numbers follow, or what a published row most likely used. */
  convention: string;
}

function find(ms: Metric[], key: string): Metric | undefined {
  return ms.find((m) => cardKey(m) === key);
}

function num(m: Metric | undefined, digits = 3): string | null {
  return m?.status === 'value' ? formatNumber(m.value, digits) : null;
}

function si(v: number, unit: string): string {
  const prefixes: [number, string][] = [
    [1, ''],
    [1e-3, 'm'],
    [1e-6, 'µ'],
    [1e-9, 'n'],
    [1e-12, 'p'],
    [1e-15, 'f'],
    [1e-18, 'a'],
    [1e-21, 'z'],
  ];
  const a = Math.abs(v);
  const [f, p] = prefixes.find(([f]) => a >= f) ?? prefixes[prefixes.length - 1];
  return `${formatNumber(v / f, 3)} ${p}${unit}`;
}

export function table3Row(card: BenchmarkCard): Table3Row {
  const ms = card.metrics;
  const ltp = num(find(ms, 'nl.lsq3:ltp'));
  const ltd = num(find(ms, 'nl.lsq3:ltd'));
  const drL = num(find(ms, 'dr.ratio:ltp'));
  const drD = num(find(ms, 'dr.ratio:ltd'));
  const end = find(ms, 'endurance.cycles');
  const energy = ms.find((m) => m.id === 'energy.write' && m.status === 'value') ?? ms.find((m) => m.id.startsWith('energy.') && m.status === 'value');
  return {
    device: card.device,
    source: `NeuroProbe run ${card.runIds.join(', ')}${card.source === 'measured' ? '' : ` (${card.source})`}`,
    nonlinearity: ltp || ltd ? `${ltp ?? '–'}/${ltd ?? '–'}` : '–',
    dynamicRange: drL || drD ? `${drL ?? '–'} (LTP) ${drD ?? '–'} (LTD)` : '–',
    endurance: end?.status === 'value' ? `${end.convention === 'lower-bound' ? '≥ ' : ''}${formatNumber(end.value, 3)}` : '–',
    energyPerSpike: energy?.status === 'value' ? `${si(energy.value, 'J')} (${energy.id.replace('energy.', '')})` : '–',
    convention: 'NeuroProbe standard: nl.lsq3 signed NeuroSim labels (LTD mirrored), dr.ratio G_high/G_low, endurance W ≥ 2 for 10 cycles, energy.write by waveform integration',
  };
}

const CAVEAT = 'published under the authors’ own conditions and definitions; not measured with this protocol, so not directly comparable';

/** Table 3 of Sun et al., Nano-Micro Lett. 18:354 (2026), as published, with the convention each most likely used. */
export const TABLE3_REFERENCE: Table3Row[] = [
  { device: 'Anisotropic ReSe₂', source: 'review Table 3 [11]', nonlinearity: '–', dynamicRange: '27.5%', endurance: '–', energyPerSpike: '–', convention: `DR as ΔG/G_min in % (dr.percent-like); ${CAVEAT}` },
  { device: '2D Janus WSSe', source: 'review Table 3 [124]', nonlinearity: '5.65/2.4*', endurance: '10^5', dynamicRange: '–', energyPerSpike: '119.5 pJ', convention: `* marks a linearity figure, not a NeuroSim label; labels likely magnitude-only; energy likely V·I·t estimate; ${CAVEAT}` },
  { device: 'Ferroelectric CIPS', source: 'review Table 3 [61]', nonlinearity: '0.7/4.9', dynamicRange: '24.2', endurance: '> 10^4', energyPerSpike: '–', convention: `magnitude-only NL labels, endpoint-pinned fit (nl.neurosim-manual-like); DR as a ratio; ${CAVEAT}` },
  { device: 'WSe₂/InAs 2D/0D MDHs', source: 'review Table 3 [75]', nonlinearity: '0.0005/–0.002', dynamicRange: '1.2 (LTP) 1.81 (LTD)', endurance: '–', energyPerSpike: '33.5 pJ', convention: `signed nonlinearity of a different scale (not NeuroSim labels); DR ratio per direction; ${CAVEAT}` },
  { device: 'Type III band alignment BP/SnS₂', source: 'review Table 3 [88]', nonlinearity: '1.1–2.7', dynamicRange: '–', endurance: '–', energyPerSpike: '83 pJ', convention: `range of magnitude-only labels; ${CAVEAT}` },
  { device: 'Adsorbate-induced asymmetry', source: 'review Table 3 [99]', nonlinearity: '0.6 (LTP only)', dynamicRange: '> 200', endurance: '4000', energyPerSpike: 'P_prog < 100 pW, P_read < 1 pW', convention: `power, not energy, reported; ${CAVEAT}` },
  { device: 'Asymmetric diffusive memristor', source: 'review Table 3 [130]', nonlinearity: '2.6/–0.5', dynamicRange: '–', endurance: '800', energyPerSpike: '37 pJ', convention: `signed labels; ${CAVEAT}` },
  { device: 'Asymmetric contact', source: 'review Table 3 [118]', nonlinearity: '–', dynamicRange: '–', endurance: '–', energyPerSpike: '90 zJ', convention: `read-side energy at 0.24 µV bias (scales with V²: ≈16 nJ at 0.1 V); ${CAVEAT}` },
  { device: 'Asymmetric gating', source: 'review Table 3 [106]', nonlinearity: '–0.08/2.86', dynamicRange: '15.1', endurance: '–', energyPerSpike: '0.86 pJ', convention: `signed labels; ${CAVEAT}` },
  { device: 'CMOS transistor', source: 'review Table 3 [131]', nonlinearity: '0.06/0.21', dynamicRange: '> 10^3', endurance: '> 10^7', energyPerSpike: '415 pJ/m', convention: `energy per unit length as printed; ${CAVEAT}` },
  { device: 'Oxide-based RRAM', source: 'review Table 3 [132]', nonlinearity: '–', dynamicRange: '2.5', endurance: '> 200 k', energyPerSpike: '0.51 fJ', convention: `${CAVEAT}` },
  { device: 'GeTe/Sb₂Te₃ PCM', source: 'review Table 3 [133]', nonlinearity: '0.32/0.32', dynamicRange: '13.1', endurance: '–', energyPerSpike: '–', convention: `magnitude-only labels; ${CAVEAT}` },
];
