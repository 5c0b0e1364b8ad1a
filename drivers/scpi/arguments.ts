// Argument parsers for SCPI parameters (numbers with MIN/MAX/DEF, booleans, enums,
// quoted strings). They throw ScpiError so the caller's error queue gets the code.

import { Errors } from './command-tree.ts';

export interface NumberSpec {
  min: number;
  max: number;
  def?: number;
  what: string;
}

export function requireArgs(args: string[], count: number): void {
  if (args.length < count) throw Errors.missingParameter();
}

export function parseNumberArg(arg: string | undefined, spec: NumberSpec): number {
  if (arg === undefined || arg === '') throw Errors.missingParameter();
  const u = arg.toUpperCase();
  if (u === 'MIN' || u === 'MINIMUM') return spec.min;
  if (u === 'MAX' || u === 'MAXIMUM') return spec.max;
  if ((u === 'DEF' || u === 'DEFAULT') && spec.def !== undefined) return spec.def;
  const v = Number(arg);
  if (arg.trim() === '' || !Number.isFinite(v)) throw Errors.dataType(`${spec.what} expects a number, got ${arg}`);
  if (v < spec.min || v > spec.max) throw Errors.dataOutOfRange(`${spec.what} ${arg} outside ${spec.min}..${spec.max}`);
  return v;
}

export function parseBoolArg(arg: string | undefined, what: string): boolean {
  if (arg === undefined) throw Errors.missingParameter();
  const u = arg.toUpperCase();
  if (u === 'ON' || u === '1') return true;
  if (u === 'OFF' || u === '0') return false;
  throw Errors.illegalValue(`${what} expects ON|OFF|1|0, got ${arg}`);
}

/** Matches an enum given as `SHORtlong` words (e.g. 'VOLTage'). Returns the long name. */
export function parseEnumArg<T extends string>(arg: string | undefined, choices: readonly T[], what: string): T {
  if (arg === undefined) throw Errors.missingParameter();
  const u = unquote(arg).toUpperCase();
  for (const c of choices) {
    const short = c.replace(/[a-z]+$/, '');
    if (u === short || u === c.toUpperCase()) return c;
  }
  throw Errors.illegalValue(`${what} expects one of ${choices.join('|')}, got ${arg}`);
}

export function unquote(arg: string): string {
  const t = arg.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

export function parseIntArg(arg: string | undefined, spec: NumberSpec): number {
  const v = parseNumberArg(arg, spec);
  if (!Number.isInteger(v)) throw Errors.dataType(`${spec.what} expects an integer, got ${arg}`);
  return v;
}
