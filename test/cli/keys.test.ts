// Pause, resume and abort from the keyboard while a run plays in a terminal: the CLI
// runs on a real pseudo-terminal (Python's pty module) and gets p, r and q typed.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { BIN } from '../helpers/cli.ts';
import { useTempDir } from '../helpers/temp.ts';
import { writePacedSimStation } from '../helpers/stations.ts';

const tempDir = useTempDir();

const DRIVER = `
import os, pty, select, sys, time
d, b, st = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.chdir(d)
    os.execvp('node', ['node', b, 'run', 'ltp-ltd', '--station', st, '--set', 'cycles=40', '--db', 'k.db'])
out = b''
def wait_for(pat, timeout=60):
    global out
    end = time.time() + timeout
    while pat not in out:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
        if time.time() > end:
            sys.exit('timeout waiting for %r; got %r' % (pat, out[-400:]))
wait_for(b'keys: p pause, r resume, q abort')
wait_for(b'running ltp-ltd')
os.write(fd, b'p')
wait_for(b'paused at a checkpoint, outputs off')
os.write(fd, b'r')
wait_for(b'resumed')
os.write(fd, b'q')
while True:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
`;

describe('keys while a run plays in a terminal', () => {
  it('p pauses at a checkpoint, r resumes, q aborts with the run stored as aborted', () => {
    const dir = tempDir();
    const station = writePacedSimStation(dir, 2, 20);
    const code = execFileSync('/usr/bin/python3', ['-c', DRIVER, dir, BIN, station], { encoding: 'utf8', timeout: 120_000 }).trim();
    expect(code).toBe('130');
    const app = new NeuroProbeApp(join(dir, 'k.db'), { mustExist: true });
    const run = app.run(1);
    const paused = app.db.prepare(`SELECT COUNT(*) AS n FROM checkpoints WHERE run_id = 1`).get() as { n: number };
    app.close();
    expect(run.status).toBe('aborted');
    expect(run.endReason).toBe('aborted by the user (the q key)');
    expect(paused.n).toBeGreaterThan(0);
  }, 150_000);
});
