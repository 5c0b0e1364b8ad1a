// Protocol parameters are declared once, with unit, default, range and help text; the
// zod schema, CLI `--set` parsing, help output and (later) UI forms are derived from it.

import { z } from 'zod';

export type ParamSpec =
  | { kind: 'number'; unit: string; default: number; min: number; max: number; help: string; nonZero?: boolean }
  | { kind: 'integer'; unit: string; default: number; min: number; max: number; help: string }
  | { kind: 'enum'; unit: ''; default: string; choices: readonly string[]; help: string }
  /** A file on the machine that runs the protocol ('' = none); the protocol reads and checks it before any instrument command. */
  | { kind: 'path'; unit: ''; default: ''; help: string };

export type ParamSpecs = Record<string, ParamSpec>;

type ValueOf<S extends ParamSpec> = S extends { kind: 'enum' } | { kind: 'path' } ? string : number;
export type ParamValues<T extends ParamSpecs> = { [K in keyof T]: ValueOf<T[K]> };

/** The source-meter's current limit, as most pulse protocols take it. */
export const COMPLIANCE_PARAM = { kind: 'number', unit: 'A', default: 1e-3, min: 1e-9, max: 1, help: 'current limit of the source-meter' } as const;
/** The integration time of each read, as most pulse protocols take it. */
export const READ_NPLC_PARAM = { kind: 'number', unit: 'PLC', default: 0.01, min: 0.01, max: 10, help: 'integration time of each read' } as const;

export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

function fieldSchema(name: string, s: ParamSpec): z.ZodType {
  if (s.kind === 'path') return z.string({ error: () => `${name} must be a file path` }).max(4096, { error: `${name}: a path of at most 4096 characters` }).default('');
  if (s.kind === 'enum') {
    return z.enum(s.choices as [string, ...string[]], { error: () => `${name} must be one of ${s.choices.join(', ')}` }).default(s.default);
  }
  const u = s.unit ? ` ${s.unit}` : '';
  let n = z.number({ error: () => `${name} must be a number (${s.unit || 'no unit'})` });
  if (s.kind === 'integer') n = n.int({ error: () => `${name} must be a whole number` });
  let out: z.ZodType = n
    .min(s.min, { error: (iss) => `${name} = ${String(iss.input)}${u} is below the minimum ${s.min}${u}` })
    .max(s.max, { error: (iss) => `${name} = ${String(iss.input)}${u} is above the maximum ${s.max}${u}` });
  if (s.kind === 'number' && s.nonZero) out = (out as z.ZodNumber).refine((v) => v !== 0, { error: `${name} must not be 0` });
  return out.default(s.default);
}

export function paramsSchema<T extends ParamSpecs>(specs: T): z.ZodType<ParamValues<T>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, s] of Object.entries(specs)) shape[k] = fieldSchema(k, s);
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown parameter ${iss.keys.join(', ')}` : undefined) }) as unknown as z.ZodType<ParamValues<T>>;
}

/** Parses CLI `key=value` pairs against the specs (numbers accept SI forms like 1e-3). */
export function parseAssignments(specs: ParamSpecs, assignments: string[], protocolId: string): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ParamError(`--set "${a}": expected key=value, e.g. cycles=10`);
    const key = a.slice(0, eq).trim();
    const raw = a.slice(eq + 1).trim();
    const spec = specs[key];
    if (!spec) throw new ParamError(`unknown parameter "${key}" for ${protocolId}; known: ${Object.keys(specs).join(', ')}`);
    if (spec.kind === 'enum' || spec.kind === 'path') out[key] = raw;
    else {
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) throw new ParamError(`${key}: "${raw}" is not a number (${spec.unit || 'no unit'})`);
      out[key] = v;
    }
  }
  return out;
}

/**
 * Runs an instrument driver's checks for a protocol's `checkFeasible`: the driver's
 * refusal becomes a ParamError (a refusal before the run, never a failed run), prefixed
 * with what was being checked and followed by a hint when there is one.
 */
export function feasible(what: string, check: () => void, hint = ''): void {
  try {
    check();
  } catch (e) {
    if (e instanceof ParamError) throw e;
    throw new ParamError(`${what ? `${what}: ` : ''}${(e as Error).message}${hint ? ` ${hint}` : ''}`);
  }
}

export function validateParams<T extends ParamSpecs>(specs: T, raw: unknown, protocolId: string): ParamValues<T> {
  const r = paramsSchema(specs).safeParse(raw ?? {});
  if (!r.success) throw new ParamError(`${protocolId}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}

export function describeParams(specs: ParamSpecs): string {
  const rows = Object.entries(specs).map(([k, s]) => {
    const range = s.kind === 'enum' ? s.choices.join('|') : s.kind === 'path' ? 'file path' : `${s.min}..${s.max}${s.unit ? ' ' + s.unit : ''}`;
    return `  ${k.padEnd(24)} ${String(s.default).padEnd(8)} ${range.padEnd(22)} ${s.help}`;
  });
  return [`  ${'parameter'.padEnd(24)} ${'default'.padEnd(8)} ${'range'.padEnd(22)} meaning`, ...rows].join('\n');
}
