// The crash loop: SIGKILL `neuroprobe run`/`resume` at random moments (seeded), again
// and again, then resume to the end. Afterwards the database passes integrity_check,
// every killed run was found `interrupted`, and each resumed run's data and card equal
// those of an uninterrupted run of the same seed.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { readAllChannels } from '../../db/reader.ts';
import { Rng } from '../../drivers/sim/rng.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { cli, exited, spawnCli, waitFor } from '../helpers/cli.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll } from 'vitest';

// The two loops run concurrently: each keeps its own folder until both are done.
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'neuroprobe-crash-'));
  dirs.push(d);
  return d;
}
const KILLS = 26;

function setArgs(params: Record<string, number | string>): string[] {
  return Object.entries(params).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
}

function statusOf(dbPath: string, device: string): { id: number; status: string } | null {
  const app = new NeuroProbeApp(dbPath); // opening marks the killed owner's run interrupted
  try {
    const runs = app.runs().filter((r) => r.device === device);
    return runs.length ? { id: runs[runs.length - 1].id, status: runs[runs.length - 1].status } : null;
  } finally {
    app.close();
  }
}

async function crashLoop(protocolId: string, params: Record<string, number | string>, seed: number) {
  const dir = tempDir();
  const db = join(dir, 'crash.db');
  const rng = new Rng(seed);
  let kills = 0;
  let interruptedSeen = 0;
  const devices: string[] = [];
  let current: string | null = null;
  while (kills < KILLS) {
    if (current === null) {
      current = `D${devices.length + 1}`;
      devices.push(current);
    }
    const existing = statusOf(db, current);
    const args = existing ? ['resume', String(existing.id), '--db', db] : ['run', protocolId, ...setArgs(params), '--device', current, '--db', db];
    const child = spawnCli(args, dir);
    // A random moment: a third of the kills at any time from the start (start-up, connecting,
    // recording), the others once the run plays (mid-train or between trains), so a loaded
    // machine's slow start-up cannot turn every kill into an early one.
    const early = rng.uniform() < 1 / 3;
    const delay = early ? 200 + rng.uniform() * 2200 : rng.uniform() * 800;
    let timer: NodeJS.Timeout | undefined;
    if (early) timer = setTimeout(() => child.kill('SIGKILL'), delay);
    else {
      waitFor(child, 'stderr', /running |%/, 120_000).then(
        () => (timer = setTimeout(() => child.kill('SIGKILL'), delay)),
        () => undefined,
      );
    }
    const code = await exited(child);
    clearTimeout(timer);
    const after = statusOf(db, current);
    if (code === 'SIGKILL') {
      kills++;
      if (after) {
        expect(['interrupted', 'completed']).toContain(after.status);
        if (after.status === 'interrupted') interruptedSeen++;
      }
    } else {
      expect(code, `${args.join(' ')} ended by itself`).toBe(0);
    }
    if (after?.status === 'completed') current = null;
  }
  // Finish what is left.
  for (const device of devices) {
    const s = statusOf(db, device);
    if (s && s.status !== 'completed') {
      const r = await cli(['resume', String(s.id), '--db', db], dir, 120_000);
      expect(r.code, r.stderr).toBe(0);
    } else if (!s) {
      const r = await cli(['run', protocolId, ...setArgs(params), '--device', device, '--db', db], dir, 120_000);
      expect(r.code, r.stderr).toBe(0);
    }
  }
  const app = new NeuroProbeApp(db, { mustExist: true });
  const twin = new NeuroProbeApp(':memory:');
  try {
    expect(app.db.pragma('integrity_check', { simple: true })).toBe('ok');
    for (const device of devices) {
      const run = app.runs().find((r) => r.device === device)!;
      expect(run.status).toBe('completed');
      const whole = await twin.runProtocol({ protocolId, params, station: simulatedStation(), device });
      const a = readAllChannels(twin.db, whole.runId);
      const b = readAllChannels(app.db, run.id);
      for (const k of Object.keys(a)) expect(Buffer.from(b[k].buffer).equals(Buffer.from(a[k].buffer)), `${device} channel ${k}`).toBe(true);
      const values = (card: ReturnType<NeuroProbeApp['card']>) => card.metrics.map((m) => [m.id, m.qualifier ?? '', m.status === 'value' ? m.value : m.reason]);
      expect(values(app.card(run.id))).toEqual(values(twin.card(whole.runId)));
    }
  } finally {
    app.close();
    twin.close();
  }
  return { kills, interruptedSeen, runs: devices.length };
}

describe.concurrent('crash loop: SIGKILL at random moments, then resume', () => {
  it(`LTP/LTD survives ${KILLS} kills with exact data`, async () => {
    const r = await crashLoop('ltp-ltd', { cycles: 300 }, 11);
    expect(r.kills).toBe(KILLS);
    expect(r.interruptedSeen).toBeGreaterThan(KILLS / 3);
  }, 400_000);

  it(`endurance survives ${KILLS} kills with exact data and the same failure cycle`, async () => {
    const r = await crashLoop('endurance', { cycles: 60_000, cyclesPerTrain: 500, stopAfterFailure: 'no' }, 12);
    expect(r.kills).toBe(KILLS);
    expect(r.interruptedSeen).toBeGreaterThan(KILLS / 3);
  }, 400_000);
});
