// The protocols the application knows, by id.

import { enduranceProtocol } from './endurance.ts';
import { ltpLtdProtocol } from './ltp-ltd.ts';
import { ppfProtocol } from './ppf.ts';
import { retentionProtocol } from './retention.ts';
import { ivProtocol } from './iv.ts';
import { formingProtocol } from './forming.ts';
import { polarizationProtocol } from './polarization.ts';
import { stdpProtocol } from './stdp.ts';
import { stpLtpProtocol } from './stp-ltp.ts';
import { energyProtocol } from './energy.ts';
import type { ProtocolDefinition } from './protocol.ts';

const PROTOCOLS: ProtocolDefinition[] = [ltpLtdProtocol, enduranceProtocol, ppfProtocol, retentionProtocol, ivProtocol, formingProtocol, polarizationProtocol, stdpProtocol, stpLtpProtocol, energyProtocol] as unknown as ProtocolDefinition[];

export function listProtocols(): readonly ProtocolDefinition[] {
  return PROTOCOLS;
}

export function getProtocol(id: string): ProtocolDefinition {
  const p = PROTOCOLS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown protocol "${id}"; available: ${PROTOCOLS.map((x) => x.id).join(', ')}`);
  return p;
}
