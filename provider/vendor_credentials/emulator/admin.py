"""The emulator's admin API (``/_emulator/...``): JSON control of an ``Emulator`` for other
processes (the CLI, the benchmarks' emulator host). Admin calls are not logged, rate limited or
delayed; each one maps onto the ``Emulator``'s Python API.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .wire import Reply, json_reply

if TYPE_CHECKING:
    from .server import Emulator


def handle(emulator: Emulator, method: str, path: str, body: bytes) -> Reply:
    """`/_emulator/...`: JSON control for other processes; not logged, limited or delayed."""
    name = path.removeprefix("/_emulator").strip("/")
    try:
        data = json.loads(body) if body.strip() else {}
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if method == "GET":
            if name == "requests":
                return json_reply(200, {"requests": [r.as_json() for r in emulator.requests]})
            if name == "stats":
                with emulator._lock:
                    stats = {
                        "connections": emulator._connections,
                        "requests": len(emulator._log),
                        "faults": len(emulator._faults),
                    }
                return json_reply(200, stats)
            return json_reply(404, {"error": "not_found"})
        if method != "POST":
            return json_reply(405, {"error": "method_not_allowed"})
        return _post(emulator, name, data)
    except KeyError:
        return json_reply(404, {"error": "unknown_credential"})
    except (ValueError, TypeError) as exc:
        return json_reply(400, {"error": "bad_request", "message": str(exc)})


def _post(emulator: Emulator, name: str, data: dict[str, Any]) -> Reply:
    ok = json_reply(200, {"ok": True})
    if name == "reset":
        emulator.reset()
    elif name == "revoke":
        emulator.revoke(_text(data, "key"))
    elif name == "restore":
        key = data.get("key")
        emulator.restore(None if key is None else _text(data, "key"))
    elif name == "rotate":
        return json_reply(200, {"secret": emulator.rotate(_text(data, "key"))})
    elif name == "latency":
        if "seconds" not in data:
            raise ValueError("missing field 'seconds'")
        emulator.latency = float(data["seconds"])
    elif name == "config":
        _config(emulator, data)
    elif name == "fault":
        fault = data.get("fault")
        if not isinstance(fault, str | int):
            raise ValueError("field 'fault' must be a string or a status code")
        path = data.get("path")
        if path is not None and not isinstance(path, str):
            raise ValueError("field 'path' must be a string")
        emulator.inject(
            fault,
            path=path,
            times=int(data.get("times", 1)),
            seconds=float(data.get("seconds", 5.0)),
        )
    elif name == "clear":
        emulator.clear_log()
        emulator.clear_faults()
    elif name == "expire":
        return json_reply(200, {"expired": emulator.expire_tokens()})
    elif name == "clock":
        return json_reply(200, {"offset": emulator.advance_clock(float(data.get("advance", 0)))})
    elif name == "credentials":
        _credentials(emulator, data)
    else:
        return json_reply(404, {"error": "not_found"})
    return ok


def _config(emulator: Emulator, data: dict[str, Any]) -> None:
    for name, value in data.items():
        if name == "latency":
            emulator.latency = float(value)
        elif name == "connect_cost":
            emulator.connect_cost = float(value)
        elif name == "rate_limit":
            emulator.rate_limit = None if value is None else int(value)
        else:
            emulator.set_option(name, value)


def _credentials(emulator: Emulator, data: dict[str, Any]) -> None:
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise ValueError("label must be a string")
    fields = {k: v for k, v in data.items() if k != "vendor"}
    emulator.add(_text(data, "vendor"), **fields)


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {field!r} must be a non-empty string")
    return value
