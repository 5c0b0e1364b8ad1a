// Keys while a run plays in a terminal: p pauses (at the next checkpoint, outputs off),
// r resumes, q or Ctrl-C aborts (the sources go safe first). Only on an interactive
// terminal; the terminal mode is restored however the run ends.

import type { RunControl } from '../protocols/run-control.ts';

export function listenForRunKeys(control: RunControl, abort: (why: string) => void, say: (line: string) => void, stopAfterCurrent?: () => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return () => undefined;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  const onData = (key: string) => {
    if (key === 'p' || key === 'P') {
      if (!control.isPaused) say('pausing at the next checkpoint (outputs off there); r resumes, q aborts');
      control.pause();
    } else if (key === 'r' || key === 'R') {
      if (control.isPaused) say('resuming');
      control.resume();
    } else if ((key === 's' || key === 'S') && stopAfterCurrent) stopAfterCurrent();
    else if (key === 'q' || key === 'Q' || key === '\u0003') abort(key === '\u0003' ? 'SIGINT' : 'the q key');
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}
