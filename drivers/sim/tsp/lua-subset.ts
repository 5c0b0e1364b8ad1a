// A small interpreter for the subset of Lua that TSP clients send line by line:
// assignments to dotted and indexed paths, function calls (statements or expressions),
// numbers, strings, booleans, nil, table constructors, unary minus, + - * / with the usual
// precedence, and `loadscript NAME` … `endscript` blocks run later as `NAME()` or
// `NAME.run()`. No loops, locals or control flow: the simulated 2600B uses it to check and
// execute the scripts NeuroProbe (and simple clients) send, not as a general Lua.

export class LuaError extends Error {}

/** A value as the interpreter sees it. Objects map names (or indices) to values; functions take evaluated arguments. */
export type LuaValue = number | string | boolean | null | LuaValue[] | LuaObject | LuaFunction;
export type LuaFunction = (...args: LuaValue[]) => LuaValue | Results | void;

/** Several return values (`return a, b`), as distinct from one table value. */
export interface Results {
  values: LuaValue[];
}

export function results(...values: LuaValue[]): Results {
  return { values };
}

function isResults(x: unknown): x is Results {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'values' in x && !('get' in x);
}
export interface LuaObject {
  get(key: string | number): LuaValue | undefined;
  set(key: string | number, value: LuaValue): void;
}

type Token = { kind: 'num'; v: number } | { kind: 'str'; v: string } | { kind: 'name'; v: string } | { kind: 'op'; v: string };

function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (/\s/.test(c)) {
      i++;
    } else if (line.startsWith('--', i)) {
      break; // comment to the end of the line
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(line[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(line.slice(i))!;
      out.push({ kind: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new LuaError('unfinished string');
      out.push({ kind: 'str', v: line.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i))!;
      out.push({ kind: 'name', v: m[0] });
      i += m[0].length;
    } else if ('=.,()[]{}+-*/;'.includes(c)) {
      if (c === '=' && line[i + 1] === '=') throw new LuaError("'==' is outside the simulated subset");
      out.push({ kind: 'op', v: c });
      i++;
    } else {
      throw new LuaError(`unexpected symbol near '${c}'`);
    }
  }
  return out;
}

type Ref = { obj: LuaObject; key: string | number } | { global: string };

export class LuaSubset {
  private toks: Token[] = [];
  private pos = 0;
  private readonly scripts = new Map<string, string[]>();
  private recording: { name: string; lines: string[] } | null = null;
  /** All results of the call that ended the last prefix chain, and where that chain ended (Lua passes every result of a call in last argument position). */
  private multi: { values: LuaValue[]; at: number } | null = null;

  constructor(private readonly globals: LuaObject) {}

  /** Runs one line (a chunk of statements); throws LuaError on a syntax or runtime error. */
  run(line: string): void {
    const t = line.trim();
    if (this.recording) {
      if (t === 'endscript') {
        this.scripts.set(this.recording.name, this.recording.lines);
        this.recording = null;
      } else this.recording.lines.push(line);
      return;
    }
    const m = /^loadscript\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(t);
    if (m) {
      this.recording = { name: m[1], lines: [] };
      return;
    }
    const run = /^([A-Za-z_][A-Za-z0-9_]*)(\.run)?\(\)$/.exec(t);
    if (run && this.scripts.has(run[1])) {
      for (const l of this.scripts.get(run[1])!) this.run(l);
      return;
    }
    this.toks = tokenize(line);
    this.pos = 0;
    while (this.pos < this.toks.length) {
      if (this.peek('op', ';')) {
        this.pos++;
        continue;
      }
      this.statement();
    }
  }

  get isRecording(): boolean {
    return this.recording !== null;
  }

  private peek(kind: Token['kind'], v?: string): boolean {
    const t = this.toks[this.pos];
    return !!t && t.kind === kind && (v === undefined || t.v === v);
  }

  private expect(v: string): void {
    if (!this.peek('op', v)) throw new LuaError(`'${v}' expected near '${this.toks[this.pos]?.v ?? '<eol>'}'`);
    this.pos++;
  }

  private statement(): void {
    const start = this.pos;
    const ref = this.prefix(true);
    if (this.peek('op', '=')) {
      this.pos++;
      if (!('global' in ref.ref) && !('obj' in ref.ref)) throw new LuaError('cannot assign');
      const value = this.expr();
      if ('global' in ref.ref) this.globals.set(ref.ref.global, value);
      else ref.ref.obj.set(ref.ref.key, value);
      return;
    }
    if (!ref.called) throw new LuaError(`syntax error near '${this.toks[start]?.v}'`);
  }

  /** Name ( .name | [expr] | (args) )*: the last reference, and whether the chain ended in a call. */
  private prefix(statement = false): { ref: Ref; value: () => LuaValue; called: boolean } {
    const t = this.toks[this.pos++];
    if (!t || t.kind !== 'name') throw new LuaError(`unexpected symbol near '${t?.v ?? '<eol>'}'`);
    let ref: Ref = { global: t.v };
    let value = (): LuaValue => this.read(ref);
    let called = false;
    for (;;) {
      if (this.peek('op', '.') || this.peek('op', '[')) {
        const index = this.peek('op', '[');
        this.pos++;
        let key: string | number;
        if (index) {
          const k = this.expr();
          if (typeof k !== 'number' && typeof k !== 'string') throw new LuaError('bad index');
          key = k;
          this.expect(']');
        } else {
          const n = this.toks[this.pos++];
          if (!n || n.kind !== 'name') throw new LuaError("name expected after '.'");
          key = n.v;
        }
        const obj = value();
        if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new LuaError(`attempt to index a ${obj === null ? 'nil' : typeof obj} value (field '${key}')`);
        ref = { obj: obj as LuaObject, key };
        const r = ref;
        value = () => this.read(r);
        called = false;
      } else if (this.peek('op', '(')) {
        this.pos++;
        const args: LuaValue[] = [];
        while (!this.peek('op', ')')) {
          this.multi = null;
          const v = this.expr();
          const m = this.multi as { values: LuaValue[]; at: number } | null;
          if (m && m.at === this.pos && this.peek('op', ')')) args.push(...m.values);
          else args.push(v);
          if (this.peek('op', ',')) this.pos++;
          else break;
        }
        this.expect(')');
        const f = value();
        if (typeof f !== 'function') throw new LuaError(`attempt to call a ${f === null ? 'nil' : typeof f} value`);
        const result = f(...args);
        // A function returning several values gives an array tagged as results (a table is returned wrapped).
        const many = isResults(result);
        const first = many ? (result.values[0] ?? null) : ((result as LuaValue) ?? null);
        value = () => first;
        called = true;
        this.multi = many ? { values: result.values, at: this.pos } : null;
      } else break;
    }
    void statement;
    return { ref, value, called };
  }

  private read(ref: Ref): LuaValue {
    const v = 'global' in ref ? this.globals.get(ref.global) : ref.obj.get(ref.key);
    if (v === undefined) throw new LuaError(`attempt to read an undefined name ('${'global' in ref ? ref.global : ref.key}')`);
    return v;
  }

  private expr(): LuaValue {
    let left = this.term();
    while (this.peek('op', '+') || this.peek('op', '-')) {
      const op = String(this.toks[this.pos++].v);
      const right = this.term();
      left = arith(left, right, op);
    }
    return left;
  }

  private term(): LuaValue {
    let left = this.unary();
    while (this.peek('op', '*') || this.peek('op', '/')) {
      const op = String(this.toks[this.pos++].v);
      left = arith(left, this.unary(), op);
    }
    return left;
  }

  private unary(): LuaValue {
    if (this.peek('op', '-')) {
      this.pos++;
      return arith(0, this.unary(), '-');
    }
    return this.primary();
  }

  private primary(): LuaValue {
    const t = this.toks[this.pos];
    if (!t) throw new LuaError('unexpected end of line');
    if (t.kind === 'num' || t.kind === 'str') {
      this.pos++;
      return t.v;
    }
    if (t.kind === 'name' && (t.v === 'true' || t.v === 'false' || t.v === 'nil')) {
      this.pos++;
      return t.v === 'nil' ? null : t.v === 'true';
    }
    if (t.kind === 'op' && t.v === '(') {
      this.pos++;
      const v = this.expr();
      this.expect(')');
      return v;
    }
    if (t.kind === 'op' && t.v === '{') {
      this.pos++;
      const items: LuaValue[] = [];
      while (!this.peek('op', '}')) {
        items.push(this.expr());
        if (this.peek('op', ',') || this.peek('op', ';')) this.pos++;
        else break;
      }
      this.expect('}');
      return items;
    }
    return this.prefix().value();
  }
}

function arith(a: LuaValue, b: LuaValue, op: string): number {
  if (typeof a !== 'number' || typeof b !== 'number') throw new LuaError(`attempt to perform arithmetic on a ${typeof a !== 'number' ? typeof a : typeof b} value`);
  return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
}

/** An object of named attributes, each with its own setter check (unknown names are errors, as a typo is on a real 2600B). */
export class TspNode implements LuaObject {
  private readonly fields = new Map<string | number, { get: () => LuaValue; set?: (v: LuaValue) => void }>();

  constructor(private readonly path: string) {}

  value(key: string | number, v: LuaValue): this {
    this.fields.set(key, { get: () => v });
    return this;
  }

  attr(key: string | number, get: () => LuaValue, set?: (v: LuaValue) => void): this {
    this.fields.set(key, { get, set });
    return this;
  }

  get(key: string | number): LuaValue | undefined {
    return this.fields.get(key)?.get();
  }

  set(key: string | number, v: LuaValue): void {
    const f = this.fields.get(key);
    if (!f) throw new LuaError(`${this.path}.${key} does not exist`);
    if (!f.set) throw new LuaError(`${this.path}.${key} is read-only`);
    f.set(v);
  }
}

export function num(v: LuaValue, what: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new LuaError(`${what} expects a number, got ${v === null ? 'nil' : typeof v}`);
  if (v < min || v > max) throw new LuaError(`${what} ${v} outside ${min}..${max}`);
  return v;
}
