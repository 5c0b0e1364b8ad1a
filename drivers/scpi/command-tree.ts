// SCPI command parsing for the simulated instruments: header patterns in the manuals'
// notation (upper case = short form, `[...]` optional nodes, `#` an optional numeric
// suffix), program messages split on `;` with SCPI's relative-header rule, and
// argument lists split on commas outside quotes.

export class ScpiError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`${code},"${text}"`);
  }
}

export const Errors = {
  undefinedHeader: () => new ScpiError(-113, 'Undefined header'),
  missingParameter: () => new ScpiError(-109, 'Missing parameter'),
  parameterNotAllowed: () => new ScpiError(-108, 'Parameter not allowed'),
  illegalValue: (what: string) => new ScpiError(-224, `Illegal parameter value; ${what}`),
  dataOutOfRange: (what: string) => new ScpiError(-222, `Data out of range; ${what}`),
  dataType: (what: string) => new ScpiError(-104, `Data type error; ${what}`),
  settingsConflict: (what: string) => new ScpiError(-221, `Settings conflict; ${what}`),
  queryOnly: () => new ScpiError(-113, 'Undefined header; query only'),
  commandOnly: () => new ScpiError(-113, 'Undefined header; no query form'),
};

interface PatternNode {
  short: string;
  long: string;
  optional: boolean;
  suffix: boolean;
}

/** Parses e.g. `[:SOURce#]:VOLTage[:LEVel]` or `*IDN`. */
export function parsePattern(pattern: string): PatternNode[] {
  if (pattern.startsWith('*')) return [{ short: pattern.toUpperCase(), long: pattern.toUpperCase(), optional: false, suffix: false }];
  const nodes: PatternNode[] = [];
  const re = /(\[)?:?([A-Za-z]+)(#)?(\])?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(pattern)) !== null) {
    const word = m[2];
    const short = word.replace(/[a-z]+$/, '');
    nodes.push({ short, long: word.toUpperCase(), optional: m[1] === '[', suffix: m[3] === '#' });
  }
  return nodes;
}

/** Suffixes captured by `#` nodes, by node long name (e.g. SOURCE → 2). */
export type Suffixes = Record<string, number>;

function matchToken(token: string, node: PatternNode, suffixes: Suffixes): boolean {
  let t = token.toUpperCase();
  if (node.suffix) {
    const m = /^(.*?)(\d+)$/.exec(t);
    if (m && (m[1] === node.short || m[1] === node.long)) {
      suffixes[node.long] = Number(m[2]);
      return true;
    }
  }
  return t === node.short || t === node.long;
}

function matchNodes(tokens: string[], ti: number, nodes: PatternNode[], ni: number, suffixes: Suffixes): boolean {
  if (ni === nodes.length) return ti === tokens.length;
  const node = nodes[ni];
  if (ti < tokens.length) {
    const trial: Suffixes = { ...suffixes };
    if (matchToken(tokens[ti], node, trial) && matchNodes(tokens, ti + 1, nodes, ni + 1, trial)) {
      Object.assign(suffixes, trial);
      return true;
    }
  }
  return node.optional && matchNodes(tokens, ti, nodes, ni + 1, suffixes);
}

export function matchHeader(headerTokens: string[], nodes: PatternNode[]): Suffixes | null {
  const suffixes: Suffixes = {};
  return matchNodes(headerTokens, 0, nodes, 0, suffixes) ? suffixes : null;
}

/** Splits on `sep` outside single or double quotes. */
export function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
      cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export interface ParsedCommand {
  /** Header tokens without colons, e.g. ['SOUR', 'VOLT', 'ILIM']; ['*IDN'] for common commands. */
  tokens: string[];
  query: boolean;
  args: string[];
  /** True when the header started with ':' (absolute) or is a common command. */
  absolute: boolean;
  text: string;
}

export function parseCommand(text: string): ParsedCommand | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const m = /^(\S+?)(\?)?(?:\s+(.*))?$/s.exec(trimmed);
  if (!m) return null;
  let header = m[1];
  let query = m[2] === '?';
  const argText = m[3]?.trim() ?? '';
  if (header.endsWith('?')) {
    header = header.slice(0, -1);
    query = true;
  }
  const absolute = header.startsWith(':') || header.startsWith('*') || header.startsWith(':*');
  const tokens = header.replace(/^:/, '').split(':');
  const args = argText === '' ? [] : splitOutsideQuotes(argText, ',').map((a) => a.trim());
  return { tokens, query, args, absolute, text: trimmed };
}

/** A program message: commands joined by ';' (a trailing ';' is allowed). */
export function splitMessage(message: string): string[] {
  return splitOutsideQuotes(message.replace(/[\r\n]+$/, ''), ';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
