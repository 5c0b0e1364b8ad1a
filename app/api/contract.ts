// The API contract: every command a front end may send (desktop window, browser, tests)
// with its parameters validated by zod at the boundary, and every event the server
// pushes. The web server and the Electron bridge carry exactly these messages. This
// module imports nothing but zod and types, so the renderer can use it in a browser.

import { z } from 'zod';
import type { Table3Row } from '../../analysis/table3.ts';

const runId = z.number().int().positive();
const paramValues = z.record(z.string(), z.union([z.number(), z.string()]));

export const RunFilterSchema = z.strictObject({
  device: z.string().max(200).optional(),
  protocol: z.string().max(100).optional(),
  status: z.enum(['running', 'completed', 'aborted', 'failed', 'interrupted']).optional(),
  source: z.enum(['simulated', 'measured', 'imported']).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
});

/** A file to import, as the user interface uploads it, and how to read it. */
const IMPORT_FILE = {
  fileName: z.string().min(1).max(300),
  contentBase64: z.string().max(64 * 1024 * 1024),
  as: z.string().min(1).max(40),
  columns: z.string().max(2000).optional(),
  decimal: z.enum(['.', ',']).optional(),
  skip: z.number().int().min(0).max(100_000).optional(),
};

export const COMMANDS = {
  /** Protocols with their parameter specs (units, ranges, defaults, help). */
  protocols: z.strictObject({}),
  /** The station the server runs on (the built-in simulated bench unless started with one). */
  station: z.strictObject({}),
  /** Checks a station file's JSON (no instrument contact): every problem by field. */
  stationValidate: z.strictObject({ json: z.string().max(2_000_000) }),
  /** Asks every instrument of the bench for *IDN? (nothing else): reachable, the declared model, simulated or not. */
  stationIdentify: z.strictObject({}),
  /** Switches the bench to this station (refused while a run or the queue plays). */
  stationUse: z.strictObject({ json: z.string().max(2_000_000) }),
  /** Validation, safety check and duration estimate, with no instrument contact. */
  check: z.strictObject({ protocolId: z.string().min(1).max(100), params: paramValues, device: z.string().min(1).max(200) }),
  start: z.strictObject({ protocolId: z.string().min(1).max(100), params: paramValues, device: z.string().min(1).max(200) }),
  pause: z.strictObject({ runId }),
  resume: z.strictObject({ runId }),
  abort: z.strictObject({ runId }),
  /** The live run, if any (so a page opened mid-run can follow it). */
  live: z.strictObject({}),
  runs: z.strictObject({ filter: RunFilterSchema.default({}) }),
  run: z.strictObject({ runId }),
  card: z.strictObject({ runId }),
  /** One channel against another (or the sample index), min/max-decimated to `maxPoints`. */
  channel: z.strictObject({
    runId,
    y: z.string().min(1).max(100),
    x: z.string().min(1).max(100).optional(),
    maxPoints: z.number().int().min(10).max(100_000).default(4000),
    /** Only this x-range (a zoomed view): the same number of points over less data. */
    xRange: z.tuple([z.number(), z.number()]).optional(),
  }),
  compare: z.strictObject({
    runIds: z.array(runId).min(1).max(500),
    byDevice: z.boolean().default(false),
    withReference: z.boolean().default(false),
    /** Yield and device-to-device variation under this pass criterion, e.g. "dr.ratio:ltp>=2". */
    pass: z.string().max(500).optional(),
    poolSources: z.boolean().default(false),
  }),
  /** The simulated instruments' output state (simulated stations only). */
  simState: z.strictObject({}),
  /** What importing a file would read: the table's first rows and each column's role (nothing stored). */
  importPreview: z.strictObject(IMPORT_FILE),
  import: z.strictObject({
    ...IMPORT_FILE,
    device: z.string().min(1).max(200).optional(),
    readVoltageV: z.number().optional(),
    quantity: z.enum(['conductance', 'current', 'weight']).optional(),
    gBeforeS: z.number().optional(),
    darkA: z.number().optional(),
    again: z.boolean().optional(),
  }),
  /** Re-analyses a stored run with options (e.g. skipCycles) and stores the new metrics beside the old. */
  analyze: z.strictObject({ runId, options: z.record(z.string(), z.number()).default({}) }),
  /** The queue, in playing order. */
  queue: z.strictObject({}),
  queueAdd: z.strictObject({
    devices: z.array(z.string().min(1).max(200)).min(1).max(10_000),
    protocolId: z.string().min(1).max(100),
    params: paramValues.default({}),
  }),
  queueClear: z.strictObject({ all: z.boolean().default(false) }),
  queueRemove: z.strictObject({ id: z.number().int().positive() }),
  /** Moves an item just before another one (or, without `beforeId`, to the end). */
  queueMove: z.strictObject({ id: z.number().int().positive(), beforeId: z.number().int().positive().nullable().default(null) }),
  /** Plays the pending items in order on this bench. */
  queuePlay: z.strictObject({}),
  /** Finishes the run playing and leaves the rest pending. */
  queueStop: z.strictObject({}),
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandParams<C extends CommandName> = z.input<(typeof COMMANDS)[C]>;
export type ParsedParams<C extends CommandName> = z.output<(typeof COMMANDS)[C]>;

export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

/** Validates a command and its parameters; throws a ContractError naming the field. */
export function parseCommand(name: string, params: unknown): { name: CommandName; params: unknown } {
  if (!Object.hasOwn(COMMANDS, name)) throw new ContractError(`unknown command "${name}"; known: ${Object.keys(COMMANDS).join(', ')}`);
  const schema = COMMANDS[name as CommandName];
  const r = schema.safeParse(params ?? {});
  if (!r.success) throw new ContractError(`${name}: ${r.error.issues.map((i) => `${i.path.join('.') || '(parameters)'}: ${i.message}`).join('; ')}`);
  return { name: name as CommandName, params: r.data };
}

export interface ParamSpecView {
  name: string;
  kind: 'number' | 'integer' | 'enum' | 'path';
  unit: string;
  default: number | string;
  min?: number;
  max?: number;
  choices?: string[];
  help: string;
}

export interface ProtocolView {
  id: string;
  version: string;
  title: string;
  summary: string;
  params: ParamSpecView[];
  channels: { name: string; unit: string; description: string }[];
}

export interface CheckResult {
  ok: boolean;
  /** Parameter errors and safety violations, one line each. */
  problems: string[];
  /** Expected duration on the bench, s (null when it cannot be estimated). */
  durationS: number | null;
}

export interface StationView {
  name: string;
  /** The station as JSON, to edit. */
  json: string;
  simulated: boolean;
  instruments: { id: string; model: string; role: string; resource: string }[];
  limits: { maxAbsVoltageV: number; maxAbsCurrentA: number; complianceA: number; minPulseWidthS: number; maxOpticalPowerMw?: number };
  /** The rotation stage's allowed travel, degrees (lab frame), when the station has one. */
  stageTravelDeg?: [number, number];
}

/** A device placed on the die map by the position in its name, pass or fail under the criterion. */
export interface DieMapEntry {
  device: string;
  row: number;
  col: number;
  pass: boolean;
  source: string;
}

/** What `compare` answers. */
export interface CompareResult {
  rows: Table3Row[];
  reference: Table3Row[];
  sources: string[];
  /** Pass fraction per source under the criterion, as text (null without a criterion). */
  variation: string | null;
  dieMap: DieMapEntry[] | null;
}

/** Events the server pushes to every connected client. */
export type ApiEvent =
  | { type: 'run.started'; runId: number; protocol: string; device: string; simulated: boolean; params: Record<string, number | string> }
  | { type: 'run.progress'; runId: number; done: number; total: number; message: string; etaS: number | null }
  | { type: 'run.data'; runId: number; channels: Record<string, number[]>; /** Server clock when the batch's oldest reads reached the host, ms since the epoch (for latency figures). */ sentMs?: number }
  | { type: 'run.metrics'; runId: number; metrics: { key: string; value: number | null; unit: string; reason?: string }[] }
  /** Metrics of what is complete while the run plays (NL of a finished cycle, one STDP point, …). */
  | { type: 'run.live'; runId: number; points: { key: string; at: number; atLabel: string; value: number; unit: string }[] }
  | { type: 'run.paused'; runId: number }
  | { type: 'run.resumed'; runId: number }
  | { type: 'run.ended'; runId: number; status: string; reason: string }
  | { type: 'safety'; message: string }
  | { type: 'queue.changed'; playing: boolean };

export const EVENTS_PATH = '/api/events';
export const API_PREFIX = '/api/';
