// The preload: exposes exactly the API contract (invoke a command, listen to events) to
// the sandboxed renderer as `window.neuroprobe`, nothing of Node or Electron.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

const INVOKE_CHANNEL = 'neuroprobe:invoke';
const EVENT_CHANNEL = 'neuroprobe:event';

contextBridge.exposeInMainWorld('neuroprobe', {
  invoke: (command: string, params: unknown) => ipcRenderer.invoke(INVOKE_CHANNEL, command, params),
  onEvent: (listener: (e: unknown) => void) => {
    const wrapped = (_: IpcRendererEvent, e: unknown) => listener(e);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
  },
});
