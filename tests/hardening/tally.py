"""The tally of bad-input payloads: counted by the `tally` fixture, printed at the end of
the run and written to artifacts/hardening-counts.json, so the docs quote a real run.

Under pytest-xdist each worker counts its own; tests/conftest.py sends a worker's counts
to the controller (`workeroutput`), which adds them up (`merge`) and prints the total.
"""

from __future__ import annotations

import json
from collections import Counter

PAYLOADS: Counter = Counter()
SECONDS: Counter = Counter()  # per endpoint: generating, sending and checking its payloads


def counts() -> dict:
    return {"payloads": dict(PAYLOADS), "seconds": dict(SECONDS)}


def merge(counted: dict) -> None:
    PAYLOADS.update(counted.get("payloads", {}))
    SECONDS.update(counted.get("seconds", {}))


def report(terminalreporter, base_dir) -> None:
    if not PAYLOADS:
        return
    total, seconds = sum(PAYLOADS.values()), sum(SECONDS.values())
    terminalreporter.section("bad-input payloads")
    rows = {}
    for endpoint, n in sorted(PAYLOADS.items()):
        rate = n / SECONDS[endpoint] if SECONDS[endpoint] else 0
        rows[endpoint] = {"payloads": n, "seconds": round(SECONDS[endpoint], 2)}
        rows[endpoint]["per_second"] = round(rate)
        terminalreporter.write_line(f"{n:>7}  {SECONDS[endpoint]:6.1f} s {rate:6.0f}/s  {endpoint}")
    terminalreporter.write_line(f"{total:>7}  {seconds:6.1f} s {total / seconds:6.0f}/s  in total")
    path = base_dir / "artifacts" / "hardening-counts.json"
    path.parent.mkdir(exist_ok=True)
    report = {"endpoints": rows, "total": total, "seconds": round(seconds, 1)}
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
