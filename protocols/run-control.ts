// Pause and continue a running protocol from outside (UI, API). A pause takes effect at
// the protocol's next checkpoint, where all data so far is complete and the sources are
// idle between trains; abort still works while paused.

export class RunControl {
  private paused = false;
  private waiters: (() => void)[] = [];

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves at once when not paused; otherwise when resumed or when `signal` aborts. */
  waitWhilePaused(signal: AbortSignal): Promise<void> {
    if (!this.paused || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
