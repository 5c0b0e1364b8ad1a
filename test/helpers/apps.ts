import { afterEach } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';

/**
 * Opens apps that are closed after each test (closing twice is harmless, so a test may
 * close one itself to reopen its database). Call after useTempDir, so the apps close
 * before their folder is removed (after-hooks run last-registered first).
 */
export function useApps(defaultPath: () => string): (path?: string) => NeuroProbeApp {
  const apps: NeuroProbeApp[] = [];
  afterEach(() => {
    while (apps.length) apps.pop()!.close();
  });
  return (path = defaultPath()) => {
    const app = new NeuroProbeApp(path);
    apps.push(app);
    return app;
  };
}
