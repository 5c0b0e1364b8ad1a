// What reaches a terminal from stored data (device names, reasons, file names) is shown,
// never interpreted: control characters (escape sequences included) become visible
// caret notation (ESC → ^[), keeping only line breaks and tabs.

export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return `^${String.fromCharCode(code + 64)}`;
    if (code === 0x7f) return '^?';
    return `<${code.toString(16)}>`;
  });
}
