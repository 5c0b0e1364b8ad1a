// The `neuroprobe` command: run protocols, list and show runs, export, serve the
// simulated bench. Every error reaches the user as one line naming what was wrong.

import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { NeuroProbeApp as App } from '../app/service.ts';
import { SOFTWARE_VERSION } from '../app/version.ts';
import type { RunEvent } from '../protocols/runner.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../db/export-formats.ts';
import { ANALYSIS_OPTIONS } from '../app/analysis-options.ts';
import { IMPORT_KINDS } from '../protocols/import-kinds.ts';
import { IMPORT_ROLES } from '../app/import/import-roles.ts';
import { formatQueueTable, formatRunsTable } from './tables.ts';
import { terminalSafe } from './terminal.ts';
import { parseMinimums } from '../app/criteria.ts';

// What the commands use beyond parsing their arguments is loaded before an action runs
// (commander's preAction hook), not at start-up: `--help`, `--version` and `runs` (which
// reads the database directly) never load the protocols, drivers and simulators.
let renderCardText: typeof import('../analysis/card.ts').renderCardText;
let cardJsonSchema: typeof import('../analysis/card-schema.ts').cardJsonSchema;
let NeuroProbeApp: typeof import('../app/service.ts').NeuroProbeApp;
let describeParams: typeof import('../protocols/params.ts').describeParams;
let parseAssignments: typeof import('../protocols/params.ts').parseAssignments;
let getProtocol: typeof import('../protocols/registry.ts').getProtocol;
let listProtocols: typeof import('../protocols/registry.ts').listProtocols;
let abortActiveRuns: typeof import('../protocols/runner.ts').abortActiveRuns;
let prepareParams: typeof import('../protocols/runner.ts').prepareParams;
let writeOutputFile: typeof import('../app/output-file.ts').writeOutputFile;
let safeOffStation: typeof import('../protocols/safe-off.ts').safeOffStation;
let limitsFor: typeof import('../protocols/station.ts').limitsFor;
let loadStationFile: typeof import('../protocols/station.ts').loadStationFile;
let parseStation: typeof import('../protocols/station.ts').parseStation;
let simulatedStation: typeof import('../protocols/station.ts').simulatedStation;
let identifyStation: typeof import('../protocols/identify.ts').identifyStation;
let runDemo: typeof import('./demo.ts').runDemo;
let serveSimulatedBench: typeof import('./sim.ts').serveSimulatedBench;
let FaultSchema: typeof import('../drivers/sim/faults.ts').FaultSchema;
let ProgressLine: typeof import('./progress.ts').ProgressLine;
let listenForRunKeys: typeof import('./keys.ts').listenForRunKeys;
let RunControl: typeof import('../protocols/run-control.ts').RunControl;
let devicesFromText: typeof import('../app/queue.ts').devicesFromText;
let playQueue: typeof import('../app/queue-player.ts').playQueue;

async function loadCommandModules(): Promise<void> {
  if (NeuroProbeApp) return;
  ({ renderCardText } = await import('../analysis/card.ts'));
  ({ cardJsonSchema } = await import('../analysis/card-schema.ts'));
  ({ NeuroProbeApp } = await import('../app/service.ts'));
  ({ describeParams, parseAssignments } = await import('../protocols/params.ts'));
  ({ getProtocol, listProtocols } = await import('../protocols/registry.ts'));
  ({ abortActiveRuns, prepareParams } = await import('../protocols/runner.ts'));
  ({ writeOutputFile } = await import('../app/output-file.ts'));
  ({ safeOffStation } = await import('../protocols/safe-off.ts'));
  ({ limitsFor, loadStationFile, parseStation, simulatedStation } = await import('../protocols/station.ts'));
  ({ identifyStation } = await import('../protocols/identify.ts'));
  ({ runDemo } = await import('./demo.ts'));
  ({ serveSimulatedBench } = await import('./sim.ts'));
  ({ FaultSchema } = await import('../drivers/sim/faults.ts'));
  ({ ProgressLine } = await import('./progress.ts'));
  ({ listenForRunKeys } = await import('./keys.ts'));
  ({ RunControl } = await import('../protocols/run-control.ts'));
  ({ devicesFromText } = await import('../app/queue.ts'));
  ({ playQueue } = await import('../app/queue-player.ts'));
}

/** Commands that need none of the modules above. */
const LIGHT_COMMANDS = new Set(['runs']);

/** A text file's content, or a UsageError naming the file. */
function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const DEFAULT_DB = 'neuroprobe.db';

class UsageError extends Error {}

function parseRunId(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`run id "${s}" is not a positive whole number (see \`neuroprobe runs\`)`);
  return Number(s);
}

/** Opens the database, runs `fn`, and closes it whatever happens. */
async function withApp(db: string, mustExist: boolean, fn: (app: App) => void | Promise<void>): Promise<void> {
  const app = new NeuroProbeApp(db, { mustExist });
  try {
    await fn(app);
  } finally {
    app.close();
  }
}

/**
 * Text to a file (reported on stderr) or to standard output. A file is never the
 * database being read nor any SQLite file, is replaced only with --force, and appears
 * whole or not at all.
 */
function writeOutput(text: string, out: string | undefined, o: { db: string; force?: boolean }): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  writeOutputFile(out, [text], { force: o.force, protect: [o.db] });
  process.stderr.write(`wrote ${out}\n`);
}

const FORCE_HELP = 'replace an existing output file (never a database)';

/** Writes pieces to a stream, waiting when its buffer is full (constant memory for any size). */
async function writeStreamed(stream: NodeJS.WritableStream, parts: Iterable<string>): Promise<void> {
  for (const part of parts) {
    if (!stream.write(part)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('neuroprobe')
    .description('Instrument control and standardised benchmarking for neuromorphic devices.')
    .version(SOFTWARE_VERSION)
    .showHelpAfterError(false)
    .hook('preAction', async (_program, action) => {
      if (!LIGHT_COMMANDS.has(action.name())) await loadCommandModules();
    });

  program
    .command('demo')
    .description('run the LTP/LTD protocol on the built-in simulated bench and print the benchmark card')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .option('--device <name>', 'device name', 'SIM-D1')
    .action(async (o: { db: string; device: string }) => {
      await runDemo(o.db, o.device);
    });

  program
    .command('run')
    .description('run a protocol on a station and store every raw sample')
    .argument('<protocol>', 'protocol id (see `neuroprobe protocols`)')
    .option('--station <file>', 'station JSON (default: the built-in simulated bench)')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .option('--device <name>', 'device name on the die map', 'SIM-D1')
    .option('--set <key=value>', 'protocol parameter (repeatable), e.g. --set cycles=10', collect, [])
    .option('--sim-device <n>', 'simulated bench: which device of the seeded population (0 = nominal; others vary device to device)')
    .option('--json', 'print the card as JSON')
    .action(async (protocolId: string, o: { station?: string; db: string; device: string; set: string[]; simDevice?: string; json?: boolean }) => {
      const protocol = getProtocol(protocolId);
      const params = parseAssignments(protocol.params, o.set, protocol.id);
      let station = o.station ? loadStationFile(o.station) : simulatedStation({ protocol: protocol.id });
      if (o.simDevice !== undefined) {
        const n = Number(o.simDevice);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--sim-device "${o.simDevice}" is not a whole number ≥ 0`);
        if (!station.simulation) throw new UsageError('--sim-device applies to simulated stations only (this station has no "simulation" section)');
        station = { ...station, simulation: { ...station.simulation, deviceIndex: n } };
      }
      prepareParams(protocol, params, station, o.device); // refuse bad input before touching the database
      if (!o.station) process.stderr.write('no --station given: using the built-in SIMULATED bench (no hardware is touched; data are stored as simulated)\n');
      const app = new NeuroProbeApp(o.db);
      const progress = new ProgressLine();
      try {
        const onEvent = (e: RunEvent) => {
          if (e.type === 'progress') progress.update(e.done, e.total, e.message);
          else if (e.type === 'live') progress.live(e.points);
          if (e.type === 'started') {
            const names = e.instruments.map((i) => `${i.simulated ? 'simulated ' : ''}${i.idn.split(',').slice(0, 2).map((f) => f.trim()).join(' ')}`).join(', ');
            process.stderr.write(`running ${e.protocol} v${e.version} on ${o.device} (${names})\n`);
          }
        };
        const control = new RunControl();
        const keys = new AbortController();
        const stopKeys = listenForRunKeys(control, (why) => keys.abort(why), (line) => process.stderr.write(`\n${line}\n`));
        if (process.stdin.isTTY) process.stderr.write('keys: p pause, r resume, q abort\n');
        let r;
        try {
          r = await app.runProtocol({
            protocolId,
            params,
            station,
            device: o.device,
            onEvent: (e) => {
              onEvent(e);
              if (e.type === 'paused') process.stderr.write('\npaused at a checkpoint, outputs off — r resumes, q aborts\n');
              if (e.type === 'resumed') process.stderr.write('resumed\n');
            },
            handleSignals: true,
            control,
            signal: keys.signal,
          });
        } finally {
          stopKeys();
        }
        progress.end();
        process.stderr.write(terminalSafe(`run ${r.runId} ${r.outcome.status}: ${r.outcome.reason}; stored in ${o.db}`) + '\n');
        if (r.card) process.stdout.write((o.json ? JSON.stringify(r.card, null, 2) : terminalSafe(renderCardText(r.card))) + '\n');
        if (r.outcome.status !== 'completed') process.exitCode = r.outcome.status === 'aborted' ? 130 : 1;
      } finally {
        app.close();
      }
    });

  program
    .command('resume')
    .description('continue an interrupted, aborted or failed run from its last checkpoint (appends to the same run)')
    .argument('<run>', 'run id')
    .option('--station <file>', 'station JSON (default: the station stored with the run)')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .option('--json', 'print the card as JSON')
    .action(async (runArg: string, o: { station?: string; db: string; json?: boolean }) => {
      const id = parseRunId(runArg);
      const station = o.station ? loadStationFile(o.station) : undefined;
      const app = new NeuroProbeApp(o.db, { mustExist: true });
      const progress = new ProgressLine();
      try {
        const r = await app.resumeRun(id, {
          station,
          handleSignals: true,
          onEvent: (e) => {
            if (e.type === 'progress') progress.update(e.done, e.total, e.message);
            else if (e.type === 'live') progress.live(e.points);
          },
        });
        progress.end();
        process.stderr.write(terminalSafe(`run ${r.runId} ${r.outcome.status}: ${r.outcome.reason}`) + '\n');
        if (r.card) process.stdout.write((o.json ? JSON.stringify(r.card, null, 2) : terminalSafe(renderCardText(r.card))) + '\n');
        if (r.outcome.status !== 'completed') process.exitCode = r.outcome.status === 'aborted' ? 130 : 1;
      } finally {
        app.close();
      }
    });

  program
    .command('runs')
    .description('list the runs in a database, optionally filtered')
    .option('--device <name>', 'device name; * matches anything, e.g. "W3-*"')
    .option('--protocol <id>', 'protocol id (ltp-ltd, endurance, …, imported)')
    .addOption(new Option('--status <status>', 'end status').choices(['running', 'completed', 'aborted', 'failed', 'interrupted']))
    .addOption(new Option('--source <source>', 'where the data came from').choices(['simulated', 'measured', 'imported']))
    .option('--since <date>', 'started on or after this date/time (ISO 8601, e.g. 2026-11-01)')
    .option('--until <date>', 'started on or before this date/time (ISO 8601; a date alone means its whole day)')
    .option('--json', 'print the runs as JSON')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (o: { device?: string; protocol?: string; status?: string; source?: 'simulated' | 'measured' | 'imported'; since?: string; until?: string; json?: boolean; db: string }) => {
      const date = (flag: string, v: string | undefined, endOfDay: boolean) => {
        if (v === undefined) return undefined;
        const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T${endOfDay ? '23:59:59.999' : '00:00:00'}Z` : v);
        if (!Number.isFinite(t)) throw new UsageError(`${flag} "${v}" is not a date (use ISO 8601, e.g. 2026-11-29 or 2026-11-29T14:00:00Z)`);
        return new Date(t).toISOString();
      };
      const filter = { device: o.device, protocol: o.protocol, status: o.status, source: o.source, since: date('--since', o.since, false), until: date('--until', o.until, true) };
      // The database alone (no protocols, drivers or analysis): this is the command people type most.
      const { openDatabase } = await import('../db/database.ts');
      const { findRuns } = await import('../db/reader.ts');
      const db = openDatabase(o.db, { mustExist: true });
      try {
        const runs = findRuns(db, filter);
        process.stdout.write(o.json ? JSON.stringify(runs, null, 2) + '\n' : terminalSafe(formatRunsTable(runs)) + '\n');
      } finally {
        db.close();
      }
    });

  program
    .command('show')
    .description("show a run's benchmark card")
    .argument('<run>', 'run id')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .option('--json', 'print the card as JSON (metric ids as in metrics.md)')
    .option('--recompute', 'recompute the metrics from the stored raw samples instead of reading the stored ones')
    .action(async (runArg: string, o: { db: string; json?: boolean; recompute?: boolean }) => {
      const id = parseRunId(runArg);
      await withApp(o.db, true, async (app) => {
        const card = o.recompute ? app.recomputeCard(id) : app.card(id);
        process.stdout.write((o.json ? JSON.stringify(card, null, 2) : terminalSafe(renderCardText(card))) + '\n');
      });
    });

  program
    .command('export')
    .description('export a run: CSV (one column per channel), JSON (one document), JSON Lines (one record per line) or HDF5 (h5py, MATLAB); streamed, any size')
    .argument('<run>', 'run id')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .option('--out <file>', 'write to a file instead of standard output (required for hdf5)')
    .option('--force', FORCE_HELP)
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (runArg: string, o: { format: ExportFormat; out?: string; force?: boolean; db: string }) => {
      const id = parseRunId(runArg);
      if (o.format === 'hdf5' && !o.out) throw new UsageError('--format hdf5 writes a binary file: give --out <file.h5>');
      await withApp(o.db, true, async (app) => {
        if (o.out) {
          await app.exportRunToFile(id, o.format, o.out, { force: o.force, protect: [o.db] });
          process.stderr.write(`wrote ${o.out}\n`);
        } else if (o.format !== 'hdf5') {
          await writeStreamed(process.stdout, app.exportRunParts(id, o.format));
        }
      });
    });

  program
    .command('import')
    .description('store a CSV of existing measurements (or a Keithley 4200A .xlsx workbook of I-V or forming sweeps) as a run, analysed like measured data')
    .argument('<file>', 'CSV or TSV file (comment lines start with #; an optional header row), or a 4200A Clarius .xlsx export')
    .requiredOption('--as <kind>', `what the data is: ${IMPORT_KINDS.join('|')}`)
    .option('--columns <roles>', 'comma-separated role of each column, e.g. ltp,ltd or cycle,phase,pulse,value or dt_s,dw_percent (skip ignores a column)')
    .option('--read-voltage <V>', 'read voltage of LTP/LTD currents (G = I / V)')
    .addOption(new Option('--quantity <q>', 'what LTP/LTD values are').choices(['conductance', 'current', 'weight']))
    .option('--g-before <S>', 'retention: conductance before programming')
    .option('--dark <A>', 'polarization: dark current when there is no dark column')
    .option('--compliance <A>', 'iv, forming: the current compliance of the sweeps (a 4200A workbook gives its own)')
    .addOption(new Option('--set-polarity <sign>', 'iv: polarity of the SET sweeps (default: that of the first sweep)').choices(['positive', 'negative']))
    .option('--condition <key=value>', 'measurement condition stored with every metric, e.g. wavelength_nm=532, power_W=1e-6, temperature_K=300 (repeatable)', collect, [])
    .option('--device <name>', 'device name (default: the file name)')
    .addOption(new Option('--decimal <mark>', 'decimal mark of the numbers (default: detected)').choices(['.', ',']))
    .option('--skip <n>', 'lines above the table to skip (default: instrument metadata lines are detected)')
    .option('--again', 'import even if a file with the same content (SHA-256) is already stored')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .option('--json', 'print the card as JSON')
    .addHelpText(
      'after',
      `\nColumn roles per kind (default: the header names if they are roles, else positional):\n${IMPORT_KINDS.map((k) => `  ${k.padEnd(13)} ${IMPORT_ROLES[k].join(', ')}`).join('\n')}\n\nltp-ltd layouts: wide (ltp,ltd[,ltp,ltd…], one column per ramp, a cycle per pair) or long (cycle,phase,pulse,value; phase 0 = LTP, 1 = LTD).`,
    )
    .action(async (file: string, o: { as: string; columns?: string; readVoltage?: string; quantity?: 'conductance' | 'current' | 'weight'; gBefore?: string; dark?: string; compliance?: string; setPolarity?: 'positive' | 'negative'; condition: string[]; device?: string; decimal?: '.' | ','; skip?: string; again?: boolean; db: string; json?: boolean }) => {
      if (o.skip !== undefined && !/^\d+$/.test(o.skip)) throw new UsageError(`--skip "${o.skip}" is not a whole number of lines`);
      const num = (flag: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const x = Number(v);
        if (v.trim() === '' || !Number.isFinite(x)) throw new UsageError(`${flag} "${v}" is not a number`);
        return x;
      };
      await withApp(o.db, false, async (app) => {
        const r = await app.importFile(file, {
          as: o.as,
          complianceA: num('--compliance', o.compliance),
          setPolarity: o.setPolarity,
          columns: o.columns,
          readVoltageV: num('--read-voltage', o.readVoltage),
          quantity: o.quantity,
          gBeforeS: num('--g-before', o.gBefore),
          darkA: num('--dark', o.dark),
          device: o.device,
          decimal: o.decimal,
          skip: o.skip === undefined ? undefined : Number(o.skip),
          again: o.again,
          conditions: Object.fromEntries(
            o.condition.map((c) => {
              const m = /^([A-Za-z][\w.]*)=(.+)$/.exec(c);
              if (!m) throw new UsageError(`--condition "${c}": expected key=value, e.g. wavelength_nm=532`);
              const n = Number(m[2]);
              return [m[1], m[2].trim() !== '' && Number.isFinite(n) ? n : m[2]];
            }),
          ),
        });
        for (const note of r.notes) process.stderr.write(terminalSafe(`${file}: ${note}`) + '\n');
        process.stderr.write(terminalSafe(`imported ${file} as run ${r.runId} (${o.as}) into ${o.db}`) + '\n');
        process.stdout.write((o.json ? JSON.stringify(r.card, null, 2) : terminalSafe(renderCardText(r.card))) + '\n');
      });
    });

  program
    .command('analyze')
    .description('re-analyse a run from its stored raw samples and store the new metrics beside the old')
    .argument('<run>', 'run id')
    .option('--set <option=value>', `analysis option (repeatable): ${Object.keys(ANALYSIS_OPTIONS).join(', ')}`, collect, [])
    .option('--db <file>', 'database file', DEFAULT_DB)
    .option('--json', 'print the card as JSON')
    .action(async (runArg: string, o: { set: string[]; db: string; json?: boolean }) => {
      const id = parseRunId(runArg);
      const options: Record<string, number> = {};
      for (const a of o.set) {
        const [k, v] = a.split('=');
        if (!k || v === undefined || !Number.isFinite(Number(v)) || v.trim() === '') throw new UsageError(`--set "${a}": expected option=number, e.g. skipCycles=1`);
        options[k.trim()] = Number(v);
      }
      await withApp(o.db, true, async (app) => {
        const card = app.analyze(id, options);
        process.stderr.write(`run ${id} re-analysed (analysis ${card.analysisVersion}); metrics stored\n`);
        process.stdout.write((o.json ? JSON.stringify(card, null, 2) : terminalSafe(renderCardText(card))) + '\n');
      });
    });

  program
    .command('card')
    .description('render benchmark cards as Markdown, self-contained HTML (with plots), JSON or text')
    .argument('<runs...>', 'run ids')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'html', 'json', 'text']).default('md'))
    .option('--out <file>', 'write to a file (HTML with several runs: one file per run, <file> with -<run> before the extension)')
    .option('--force', FORCE_HELP)
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (runArgs: string[], o: { format: 'md' | 'html' | 'json' | 'text'; out?: string; force?: boolean; db: string }) => {
      const ids = runArgs.map(parseRunId);
      await withApp(o.db, true, async (app) => {
        const render = (id: number) =>
          o.format === 'html' ? app.cardHtml(id) : o.format === 'json' ? JSON.stringify(app.card(id), null, 2) + '\n' : o.format === 'md' ? app.cardMarkdown(id) : renderCardText(app.card(id)) + '\n';
        if (o.format === 'html' && ids.length > 1) {
          const base = o.out ?? 'card.html';
          for (const id of ids) {
            const f = base.replace(/(\.html?)?$/i, `-${id}$1`);
            writeOutput(render(id), f, o);
          }
          return;
        }
        const text = ids.map(render).join(o.format === 'json' ? '' : '\n');
        writeOutput(o.out || o.format === 'html' ? text : terminalSafe(text), o.out, o);
      });
    });

  program
    .command('compare')
    .description("Table-3-style comparison of several runs' cards")
    .argument('<runs...>', 'run ids')
    .option('--with-reference', "add the review's Table 3 devices as reference rows (published values, other conditions)")
    .option('--pass <criterion>', 'also report yield and device-to-device variation; pass criterion as minimums, e.g. "dr.ratio:ltp>=2,states.distinct:ltp>=20"')
    .option('--pool-sources', 'compute yield and variation over simulated and measured runs together (kept apart by default)')
    .option('--by-device', 'one row per device, combining its runs (e.g. LTP/LTD and endurance of the same device)')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (runArgs: string[], o: { withReference?: boolean; pass?: string; poolSources?: boolean; byDevice?: boolean; db: string }) => {
      const ids = runArgs.map(parseRunId);
      const minimums = o.pass === undefined ? undefined : parseMinimums(o.pass);
      await withApp(o.db, true, async (app) => {
        process.stdout.write(terminalSafe(app.compare(ids, Boolean(o.withReference), minimums, Boolean(o.poolSources), Boolean(o.byDevice))));
      });
    });

  program
    .command('export-model')
    .description('export a device model for neural-network simulators (JSON)')
    .argument('<run>', 'run id')
    .addOption(new Option('--to <target>', 'simulator').choices(['aihwkit', 'neurosim']).makeOptionMandatory())
    .addOption(new Option('--format <format>', 'json parameters, or (aihwkit) a runnable Python snippet').choices(['json', 'python']).default('json'))
    .option('--out <file>', 'write to a file')
    .option('--force', FORCE_HELP)
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (runArg: string, o: { to: 'aihwkit' | 'neurosim'; format: 'json' | 'python'; out?: string; force?: boolean; db: string }) => {
      const id = parseRunId(runArg);
      if (o.format === 'python' && o.to !== 'aihwkit') throw new UsageError('--format python is for --to aihwkit (NeuroSim takes the JSON parameters)');
      await withApp(o.db, true, async (app) => {
        writeOutput(o.format === 'python' ? app.exportModelPython(id) : JSON.stringify(app.exportModel(id, o.to), null, 2) + '\n', o.out, o);
      });
    });

  const queue = program.command('queue').description('runs waiting to be played: the same protocol over many devices, kept in the database');
  queue
    .command('add')
    .description('add one item per device')
    .requiredOption('--protocol <id>', 'protocol id')
    .option('--devices <names>', 'comma-separated device names, e.g. W1-R1C1,W1-R1C2')
    .option('--die-map <file>', 'device names from a file: one per line, or the first column of a CSV')
    .option('--set <key=value>', 'protocol parameter (repeatable)', collect, [])
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (o: { protocol: string; devices?: string; dieMap?: string; set: string[]; db: string }) => {
      const protocol = getProtocol(o.protocol);
      const params = parseAssignments(protocol.params, o.set, protocol.id);
      const devices = [...(o.devices ? o.devices.split(',').map((d) => d.trim()).filter(Boolean) : []), ...(o.dieMap ? devicesFromText(readTextFile(o.dieMap)) : [])];
      if (devices.length === 0) throw new UsageError('give --devices a,b,c or --die-map <file>');
      await withApp(o.db, false, async (app) => {
        const items = app.queue.add({ devices, protocolId: protocol.id, params });
        process.stderr.write(`queued ${items.length} run(s) of ${protocol.id}: items ${items[0].id}..${items[items.length - 1].id}\n`);
      });
    });
  queue
    .command('list')
    .description('the queue, in playing order')
    .option('--json', 'as JSON')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (o: { json?: boolean; db: string }) => {
      await withApp(o.db, true, async (app) => {
        const items = app.queue.list();
        process.stdout.write(o.json ? JSON.stringify(items, null, 2) + '\n' : terminalSafe(formatQueueTable(items)) + '\n');
      });
    });
  queue
    .command('play')
    .description('play the pending items in order (keys: p pause, r resume, s stop after the current run, q abort)')
    .option('--station <file>', 'station JSON (default: the built-in simulated bench)')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (o: { station?: string; db: string }) => {
      if (!o.station) process.stderr.write('no --station given: using the built-in SIMULATED bench (no hardware is touched; data are stored as simulated)\n');
      const station = o.station ? loadStationFile(o.station) : simulatedStation();
      await withApp(o.db, true, async (app) => {
        const control = new RunControl();
        const keys = new AbortController();
        let stopAfter = false;
        const stopKeys = listenForRunKeys(control, (why) => keys.abort(why), (line) => process.stderr.write(`\n${line}\n`), () => {
          stopAfter = true;
          process.stderr.write('\nstopping after the current run\n');
        });
        const progress = new ProgressLine();
        try {
          const r = await playQueue(app, app.queue, {
            station,
            control,
            signal: keys.signal,
            handleSignals: true,
            stopAfterCurrent: () => stopAfter,
            onItem: (item) => {
              progress.end();
              process.stderr.write(terminalSafe(`queue item ${item.id}: ${item.protocolId} on ${item.device} — ${item.status}${item.runId ? ` (run ${item.runId})` : ''}${item.note ? `: ${item.note}` : ''}`) + '\n');
            },
            onEvent: (_item, e) => {
              if (e.type === 'progress') progress.update(e.done, e.total, e.message);
              else if (e.type === 'live') progress.live(e.points);
            },
          });
          process.stderr.write(`queue: ${r.played} run(s) played; ${r.stoppedBecause === 'empty' ? 'nothing left' : r.stoppedBecause === 'aborted' ? 'aborted' : 'stopped after the current run'}\n`);
          if (r.stoppedBecause === 'aborted') process.exitCode = 130;
        } finally {
          stopKeys();
        }
      });
    });
  queue
    .command('clear')
    .description('remove the pending items (with --all, every item that is not running)')
    .option('--all', 'also the finished items')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (o: { all?: boolean; db: string }) => {
      await withApp(o.db, true, async (app) => {
        process.stderr.write(`removed ${app.queue.clear(Boolean(o.all))} item(s)\n`);
      });
    });

  program
    .command('instruments')
    .description('the instrument models NeuroProbe drives, their roles and how to reach them')
    .action(() => {
      const rows = [
        ['keithley2450', 'source-meter', 'LAN socket, VXI-11/USB-TMC/GPIB (PyVISA bridge), serial', 'native SCPI mode (*LANG SCPI); trains as configuration lists + trigger model'],
        ['keithley2400', 'source-meter', 'LAN socket (via a converter), VXI-11/GPIB (PyVISA bridge), serial', '2400/2401 SCPI; trains as list sweeps of equal points (≤ 2500, one source delay; pulses from the SMU only)'],
        ['keithley2600b', 'source-meter', 'LAN socket, VXI-11/USB-TMC/GPIB (PyVISA bridge)', '2600B TSP, smua or smub (smuChannel); trains as a loaded Lua script: timer-paced list sweeps (≤ 2500 points; pulses from the SMU only)'],
        ['keysight-b2900', 'source-meter', 'LAN socket, VXI-11/USB-TMC/GPIB (PyVISA bridge)', 'B2901/B2902 channel 1; trains as timer-triggered list sweeps (≤ 2500 points; pulses from the SMU only)'],
        ['keysight33500b', 'pulse-generator', 'LAN socket, VXI-11/USB-TMC/GPIB (PyVISA bridge), serial', '33500B/33600A series; triggered pulse bursts from the SMU\'s digital line'],
        ['tektronix-afg31000', 'pulse-generator', 'LAN socket, VXI-11/USB-TMC/GPIB (PyVISA bridge)', 'AFG31000 series; triggered pulse bursts from the SMU\'s digital line'],
        ['keysight-81160a', 'pulse-generator', 'LAN socket, VXI-11/USB-TMC/GPIB (PyVISA bridge)', '81150A/81160A; bursts armed by the external input'],
        ['thorlabs-ell14', 'rotation-stage', 'serial (Elliptec ASCII, 9600 8N1), LAN socket', 'Elliptec ELL14/ELL18 rotation mount holding a polarizer (wiring.rotationStage)'],
        ['thorlabs-k10cr1', 'rotation-stage', 'serial (Thorlabs APT binary, 115200 8N1, RTS/CTS), LAN socket', 'K10CR1 motorised rotation mount holding a polarizer (wiring.rotationStage)'],
        ['keysight-infiniivision', 'oscilloscope', 'LAN socket, VXI-11/USB-TMC (PyVISA bridge: text only)', 'InfiniiVision 3000T/4000 X: single-shot captures on EXT, WORD waveforms (wiring.oscilloscope)'],
        ['newport-conex-agp', 'rotation-stage', 'serial (ASCII, 921600 8N1, XON/XOFF), LAN socket', 'CONEX-AGP with an AG-PR100P rotation stage (wiring.rotationStage)'],
        ['(light source)', 'light-source', 'a pulse-generator channel (TTL gate)', 'a laser gated by a generator channel, with its power at the sample (wiring.lightSource)'],
      ];
      process.stdout.write(rows.map((r) => `${r[0].padEnd(22)} ${r[1].padEnd(16)} ${r[2].padEnd(64)} ${r[3]}`).join('\n') + '\n');
    });

  const stationCmd = program.command('station').description('station files: a template to start from, and a check of the real bench');
  stationCmd
    .command('init')
    .description('write a station template (an SMU and a pulse generator on the LAN, a laser gated by the generator, a polarizer stage on USB-serial) to edit')
    .option('--out <file>', 'write to a file instead of standard output')
    .addOption(new Option('--smu <model>', 'the source-meter family (the 2400 and B2900 play pulses themselves: no generator trigger line)').choices(['keithley2450', 'keithley2400', 'keithley2600b', 'keysight-b2900']).default('keithley2450'))
    .option('--force', FORCE_HELP)
    .action((o: { out?: string; force?: boolean; smu: string }) => {
      const template = {
        name: 'Probe station 1',
        instruments: [
          { id: 'smu', model: o.smu, resource: o.smu === 'keithley2400' ? 'GPIB0::24::INSTR' : 'TCPIP0::192.0.2.10::5025::SOCKET', role: 'source-meter', timeoutMs: 3000 },
          { id: 'awg', model: 'keysight33500b', resource: 'TCPIP0::192.0.2.11::5025::SOCKET', role: 'pulse-generator' },
          { id: 'stage', model: 'thorlabs-ell14', resource: 'ASRL/dev/ttyUSB0::INSTR', role: 'rotation-stage', baudRate: 9600, address: '0' },
          { id: 'scope', model: 'keysight-infiniivision', resource: 'TCPIP0::192.0.2.12::5025::SOCKET', role: 'oscilloscope' },
        ],
        wiring: {
          sourceMeter: 'smu',
          terminal: 'top electrode',
          pulseGenerator: { instrument: 'awg', channel: 1, trigger: 'smu-digital-line-1' },
          lightSource: { instrument: 'awg', channel: 2, gateLevelV: 5, trigger: 'smu-digital-line-1', wavelengthNm: 532, powerAtSampleMw: 1, calibratedOn: '2026-01-01' },
          rotationStage: { instrument: 'stage', holds: 'polarizer', minDeg: 0, maxDeg: 360, angleOffsetDeg: 0 },
          oscilloscope: { instrument: 'scope', voltageChannel: 1, currentChannel: 2, currentSense: { kind: 'amplifier', voltsPerAmpere: 1e4 }, trigger: 'smu-digital-line-1' },
        },
        limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 0.005, complianceA: 0.001, minPulseWidthS: 1e-7, maxOpticalPowerMw: 2 },
        deviceLimits: {},
        conditions: { temperature_K: 295 },
      };
      const text = JSON.stringify(template, null, 2) + '\n';
      parseStation(JSON.parse(text), 'template');
      if (o.out) {
        writeOutputFile(o.out, [text], { force: o.force });
        process.stderr.write(`wrote ${o.out}: set each resource to your instrument's address (192.0.2.x are placeholders), then \`neuroprobe station check ${o.out}\`\n`);
      } else process.stdout.write(text);
    });
  stationCmd
    .command('check')
    .description('connect to every instrument of a station: reachable, the declared model, output state (queries only, nothing is changed)')
    .argument('<file>', 'station JSON')
    .action(async (file: string) => {
      const station = loadStationFile(file);
      const results = await identifyStation(station, undefined, { outputs: true });
      for (const r of results) {
        const verdict = !r.ok ? 'FAILED' : r.outputs?.anyOn || r.errors?.length ? 'WARN  ' : 'ok    ';
        const s = r.settings ?? {};
        const facts = [s.line_frequency_Hz !== undefined ? `mains ${s.line_frequency_Hz} Hz` : '', s.firmware ? `firmware ${s.firmware}` : '', s.options !== undefined && s.options !== '' ? `options ${s.options}` : ''].filter(Boolean);
        const errs = r.errors?.length ? `; error queue held ${r.errors.join(' | ')}` : r.errors ? '; error queue empty' : '';
        process.stdout.write(terminalSafe(`${verdict}  ${r.id} (${r.resource}): ${r.message}${r.outputs ? `; ${r.outputs.text}` : ''}${facts.length ? `; ${facts.join(', ')}` : ''}${errs}`) + '\n');
      }
      const failed = results.filter((r) => !r.ok).length;
      const on = results.filter((r) => r.outputs?.anyOn).length;
      process.stdout.write(failed ? `${failed} instrument(s) not ready\n` : on ? `all instruments answer; ${on} with an output on (\`neuroprobe safe-off ${file}\` switches them off)\n` : 'all instruments answer, as declared, with their outputs off\n');
      if (failed) process.exitCode = 1;
    });

  program
    .command('safe-off')
    .description("drive every instrument of a station to 0 V and output off (after a killed process left a source on)")
    .argument('<station>', 'station JSON')
    .action(async (stationFile: string) => {
      const results = await safeOffStation(loadStationFile(stationFile));
      for (const r of results) process.stdout.write(`${r.ok ? 'ok    ' : 'FAILED'}  ${r.id} (${r.resource}): ${r.message}\n`);
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });

  program
    .command('card-schema')
    .description('print the JSON Schema of the benchmark card (the exchange format)')
    .action(() => {
      process.stdout.write(JSON.stringify(cardJsonSchema(), null, 2) + '\n');
    });

  program
    .command('protocols')
    .description('list protocols and their parameters')
    .action(() => {
      for (const p of listProtocols()) {
        process.stdout.write(`${p.id} v${p.version} — ${p.title}\n${p.summary}\n\n${describeParams(p.params)}\n\n`);
      }
      process.stdout.write(`imported — existing data brought in with \`neuroprobe import <file> --as ${IMPORT_KINDS.join('|')}\` (see \`neuroprobe import --help\`)\n`);
    });

  program
    .command('sim')
    .description('serve the simulated bench on 127.0.0.1: the SMU (--smu, default Keithley 2450) on --port, 33522B on --port + 1, Elliptec ELL14 on --port + 2, InfiniiVision on --port + 3, K10CR1 on --port + 4, CONEX-AGP on --port + 5')
    .option('--port <n>', 'TCP port of the simulated SMU (0 = any free port)', '5025')
    .addOption(new Option('--smu <model>', 'which source-meter family drives the device').choices(['keithley2450', 'keithley2400', 'keithley2600b', 'keysight-b2900']).default('keithley2450'))
    .option('--seed <n>', 'seed of the device model', '1')
    .option('--real-time <factor>', 'play pulse trains in wall-clock time (1 = real time, 10 = ten times faster); default: instantly')
    .option('--fault <kind@train>', 'inject a fault into the 2450 from the n-th pulse train: timeout|garble|error|disconnect|short, e.g. short@3 (repeatable)', collect, [])
    .option('--json', 'print one machine-readable readiness line naming every instrument and its resource')
    .option('--pty', 'also offer the stages on pseudo-terminals (socat), as USB-serial stages would appear')
    .option('--vxi11', 'also serve the SCPI instruments over VXI-11 (TCPIP0::127.0.0.1::inst0..2::INSTR; the portmapper needs port 111)')
    .action(async (o: { port: string; smu: 'keithley2450' | 'keithley2400' | 'keithley2600b' | 'keysight-b2900'; seed: string; realTime?: string; fault: string[]; json?: boolean; pty?: boolean; vxi11?: boolean }) => {
      const port = Number(o.port);
      const seed = Number(o.seed);
      const factor = o.realTime === undefined ? undefined : Number(o.realTime);
      if (!Number.isInteger(port) || port < 0 || port > 65533) throw new UsageError(`--port "${o.port}" is not a port number 0..65533`);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed "${o.seed}" is not a whole number`);
      if (factor !== undefined && !(factor > 0)) throw new UsageError(`--real-time "${o.realTime}" is not a positive number`);
      const faults = o.fault.map((f) => {
        const m = /^(\w+)@(\d+)$/.exec(f.trim());
        const parsed = m ? FaultSchema.safeParse({ instrument: 'keithley2450', kind: m[1], atTrain: Number(m[2]) }) : null;
        if (!parsed?.success) throw new UsageError(`--fault "${f}": expected kind@train with kind one of timeout, garble, error, disconnect, short and train ≥ 1`);
        return parsed.data;
      });
      if (faults.length && o.smu !== 'keithley2450') throw new UsageError(`--fault is simulated for the Keithley 2450 only (not --smu ${o.smu})`);
      await serveSimulatedBench(port, seed, factor, faults, { json: o.json, pty: o.pty, vxi11: o.vxi11, smu: o.smu });
    });

  program
    .command('serve')
    .description('the user interface in a browser: HTTP + WebSocket on 127.0.0.1 with a token in the URL')
    .option('--port <n>', 'TCP port (0 = any free port)', '8400')
    .option('--host <address>', 'interface to listen on (default 127.0.0.1; another one only when you mean it — the token is still required)', '127.0.0.1')
    .option('--station <file>', 'station JSON (default: the built-in simulated bench)')
    .option('--real-time <factor>', 'simulated bench: play trains in wall-clock time at this factor (default 1; 0 = as fast as possible)', '1')
    .option('--db <file>', 'database file', DEFAULT_DB)
    .action(async (o: { port: string; host: string; station?: string; realTime: string; db: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port "${o.port}" is not a port number 0..65535`);
      const factor = Number(o.realTime);
      if (!(factor >= 0)) throw new UsageError(`--real-time "${o.realTime}" is not a number ≥ 0`);
      let station = o.station ? loadStationFile(o.station) : simulatedStation();
      if (station.simulation && factor > 0 && station.simulation.realTimeFactor === undefined) station = { ...station, simulation: { ...station.simulation, realTimeFactor: factor } };
      const { serveUi } = await import('./serve.ts');
      await serveUi({ db: o.db, station, host: o.host, port });
    });

  program
    .command('desktop')
    .description('open the desktop window (Electron); where its binary is missing, says so and points to `serve`')
    .action(async () => {
      const { openDesktop } = await import('./desktop.ts');
      process.exitCode = await openDesktop();
    });

  program
    .command('bench')
    .description('performance benchmarks (pulses/s, storage throughput)')
    .action(async () => {
      const { runBenchmarks } = await import('../bench/run.ts');
      await runBenchmarks();
    });

  return program;
}

// `neuroprobe export 1 --format csv | head`: a reader that stops early is not an error.
// A closed output while a run plays (the pipe's reader or the terminal went away) aborts
// the run, which drives the sources safe and stores it, and only then does the process end.
let outputClosed = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'EIO' && e.code !== 'ECONNRESET') throw e;
    if (outputClosed) return;
    outputClosed = true;
    if (abortActiveRuns(`output closed (${e.code})`) === 0) process.exit(process.exitCode ?? 0);
  });
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    const err = e as Error;
    if (!outputClosed) process.stderr.write(`neuroprobe: ${terminalSafe(err.message)}\n`);
    if (process.env.NEUROPROBE_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = e instanceof UsageError || ['ParamError', 'SafetyError', 'StationError', 'ResourceError', 'ImportError', 'ResumeError', 'OutputError'].includes(err.name) ? 2 : 1;
  }
}

await main();
