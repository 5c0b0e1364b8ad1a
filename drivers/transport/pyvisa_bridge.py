"""NeuroProbe's PyVISA bridge: one instrument session per process, JSON lines on
stdin/stdout. Used for GPIB, USB-TMC and VXI-11 instruments through a vendor VISA
library or pyvisa-py. Requests: {"op": "open", "resource", "backend", "timeout_ms",
"termination"}, {"op": "write", "data"}, {"op": "read", "timeout_ms"}, {"op": "close"}.
Replies: {"ok": true, "data"?} or {"ok": false, "kind", "error"}."""
import json
import sys


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    try:
        import pyvisa
    except Exception as e:  # noqa: BLE001 - report any import problem to the caller
        reply({"ok": False, "kind": "io", "error": f"PyVISA is not available to {sys.executable}: {e}"})
        return
    rm = None
    inst = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "open":
                rm = pyvisa.ResourceManager(req.get("backend") or "@py")
                term = req.get("termination", "\n")
                inst = rm.open_resource(req["resource"], read_termination=term, write_termination=term,
                                        timeout=req.get("timeout_ms", 2000))
                reply({"ok": True})
            elif op == "write":
                inst.write(req["data"])
                reply({"ok": True})
            elif op == "read":
                inst.timeout = req.get("timeout_ms", inst.timeout)
                reply({"ok": True, "data": inst.read()})
            elif op == "close":
                if inst is not None:
                    inst.close()
                if rm is not None:
                    rm.close()
                reply({"ok": True})
                return
            else:
                reply({"ok": False, "kind": "io", "error": f"unknown op {op!r}"})
        except Exception as e:  # noqa: BLE001 - every failure goes back as a reply
            name = type(e).__name__
            kind = "timeout" if "Timeout" in name or "TMO" in str(e) else "io"
            reply({"ok": False, "kind": kind, "error": f"{name}: {e}"})


if __name__ == "__main__":
    main()
