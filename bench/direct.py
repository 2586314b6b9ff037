"""The kiosk rating's transaction sent straight to PostgreSQL: the database's own limit.

    python -m bench.direct KIOSKS.json SECONDS CONNECTIONS OUT.json [THINK_MS]

Each of CONNECTIONS psycopg2 connections (spread over a few processes, so Python's
GIL is not the limit) sends, as fast as it can (or pacing THINK_MS like bench/kiosk.lua),
the writes of one valid kiosk rating: the response row, its answers and the seven
roll-up increments — the INSERT statements Django's own compiler makes for
`Response.objects.record()` and the same `rollup_statements()` — as one
multi-statement query, which PostgreSQL runs as one transaction with one durable
commit (synchronous_commit on). No view, no validation, no reads: what remains is the
cost of the rows, their indexes and the commit on this machine.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

import psycopg2  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models.sql import InsertQuery  # noqa: E402
from django.utils import timezone  # noqa: E402

from common.ids import time_ordered_uuid  # noqa: E402
from offices.models import Office  # noqa: E402
from surveys.models import Answer, Channel, Response, rollup_rows, rollup_statements  # noqa: E402


def insert_sql(cursor, model, objects: list) -> str:
    """The INSERT Django sends for `objects` (save(force_insert) / bulk_create), inlined."""
    fields = [f for f in model._meta.local_concrete_fields if not f.generated]
    fields = [f for f in fields if f is not model._meta.auto_field]
    query = InsertQuery(model)
    query.insert_values(fields, objects)
    statements = query.get_compiler(connection=connection).as_sql()
    return ";".join(cursor.mogrify(sql, params).decode() for sql, params in statements)


def one_rating(cursor, kiosk: dict, office: Office) -> str:
    now = timezone.now()
    response = Response(
        id=time_ordered_uuid(),
        survey_version_id=kiosk["version"],
        office=office,
        desk_id=kiosk["desk"],
        staff_id=kiosk["staff"],
        kiosk_id=kiosk["kiosk"],
        channel=Channel.KIOSK,
        language="vi",
        started_at=now - timedelta(seconds=40),
        submitted_at=now,
        received_at=now,
        ip_address="127.0.0.1",
    )
    answers = [
        Answer(
            response=response,
            question_id=qid,
            score=random.choice((5, 5, 4, 4, 3, 2)) if kind == "scale5" else 1,
        )
        for qid, kind in kiosk["questions"]
    ]
    response_row, answer_rows = rollup_rows(response, answers)
    return ";\n".join(
        [
            insert_sql(cursor, Response, [response]),
            insert_sql(cursor, Answer, answers),
            *rollup_statements(cursor, [response_row], answer_rows),
        ]
    )


def _worker(index: int, processes: int, threads: int, kiosks, seconds, think_ms, queue):
    connections.close_all()
    params = connections["default"].get_connection_params()
    offices = Office.objects.in_bulk({k["office"] for k in kiosks})
    connections.close_all()
    deadline = [0.0]
    results = []
    lock = threading.Lock()
    # The clock starts once every connection is open.
    start_gate = threading.Barrier(
        threads + 1, action=lambda: deadline.__setitem__(0, time.monotonic() + seconds)
    )

    def loop(thread: int) -> None:
        conn = psycopg2.connect(**params)
        conn.autocommit = True  # the multi-statement query is its own transaction
        cursor = conn.cursor()
        latencies, errors = [], 0
        counter = (index * threads + thread) * 7919
        start_gate.wait()
        while time.monotonic() < deadline[0]:
            counter += processes * threads
            kiosk = kiosks[counter % len(kiosks)]
            started = time.perf_counter()
            try:
                cursor.execute(one_rating(cursor, kiosk, offices[kiosk["office"]]))
                latencies.append((time.perf_counter() - started) * 1000)
            except psycopg2.Error:
                errors += 1
            if think_ms:
                time.sleep(random.uniform(think_ms / 2, think_ms * 1.5) / 1000)
        conn.close()
        with lock:
            results.append((latencies, errors))

    pool = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    start_gate.wait()
    for t in pool:
        t.join()
    latencies = [x for lat, _ in results for x in lat]
    queue.put((latencies, sum(e for _, e in results)))


def measure(kiosks: list[dict], seconds: float, concurrency: int, think_ms: int = 0) -> dict:
    processes = min(4, concurrency)
    base, extra = divmod(concurrency, processes)
    per_process = [base + (i < extra) for i in range(processes)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_worker, args=(i, processes, n, kiosks, seconds, think_ms, queue))
        for i, n in enumerate(per_process)
    ]
    for w in workers:
        w.start()
    collected = [queue.get(timeout=seconds + 120) for _ in workers]
    for w in workers:
        w.join()
    latencies = sorted(x for lat, _ in collected for x in lat)
    errors = sum(e for _, e in collected)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else 0

    return {
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) if latencies else 0,
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": latencies[-1] if latencies else 0,
        "errors": errors,
        "connections": concurrency,
    }


if __name__ == "__main__":
    kiosks = json.loads(Path(sys.argv[1]).read_text())
    think = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    result = measure(kiosks, float(sys.argv[2]), int(sys.argv[3]), think)
    Path(sys.argv[4]).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
