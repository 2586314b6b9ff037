"""Fault injection on 127.0.0.1 only: a throwaway PostgreSQL, the app under gunicorn,
a TCP proxy that drops connections mid-request, and simulated kiosks that retry.

Used by tests/reliability/test_faults.py (a small run in `make test`) and by
`make chaos` (the full run, bench/chaos.py). Every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from tests import fast_db

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """A PostgreSQL server of our own (pgserver's binaries) in a temporary folder,
    so restarting it disturbs nothing else on the machine."""

    def __init__(self, data_dir: Path):
        import warnings

        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver

        self.data_dir = data_dir
        self.server = pgserver.get_server(data_dir, cleanup_mode="delete")
        self.socket_dir = parse_qs(urlsplit(self.server.get_uri()).query)["host"][0]

    @property
    def url(self) -> str:
        return f"postgres://postgres@{quote(self.socket_dir, safe='')}/postgres"

    def restart(self) -> float:
        """Fast shutdown (active connections are cut) and start again; returns seconds."""
        from pgserver._commands import pg_ctl

        started = time.monotonic()
        pg_ctl(
            ["-w", "-m", "fast", "restart"],
            pgdata=self.data_dir,
            user=self.server.system_user,
            timeout=60,
        )
        return time.monotonic() - started

    @staticmethod
    def bin(program: str) -> str:
        """A client program of the same PostgreSQL as this server (pg_dump, pg_restore)."""
        return fast_db.embedded_program(program)

    def restore(self, dump: Path) -> None:
        """Load a `pg_dump -Fc` file into the `postgres` database."""
        run_or_fail(
            [self.bin("pg_restore"), "--no-owner", "--exit-on-error", "--host", self.socket_dir]
            + ["--username", "postgres", "--dbname", "postgres", str(dump)],
            timeout=120,
        )

    def connect(self):
        import psycopg2

        return psycopg2.connect(dbname="postgres", user="postgres", host=self.socket_dir)

    def close(self) -> None:
        self.server.cleanup()


def django_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW_ASYNC")}
    env.update(DATABASE_URL=database_url, DJANGO_ENV="development", DEBUG="0")
    return env


def run_or_fail(command: list[str], **kwargs) -> str:
    """Run a program to its end; its output, or a RuntimeError with the end of its errors."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        name = " ".join([Path(command[0]).name, *command[1:3]])
        raise RuntimeError(f"{name} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def manage(database_url: str, *args: str, stdin: str | None = None) -> str:
    return run_or_fail(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=django_env(database_url),
        input=stdin,
        timeout=300,
    )


@contextmanager
def gunicorn(database_url: str, log_path: Path, workers: int = 4):
    """The real application under gunicorn on a free loopback port.

    Its log goes to a file: a pipe nobody reads fills up and blocks every worker
    in the middle of logging an error (exactly when a database restart logs many).
    """
    port = free_port()
    log = open(log_path, "w")  # noqa: SIM115 — closed in the finally below
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env=django_env(database_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start within 60 s")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@dataclass
class ProxyStats:
    connections: int = 0
    dropped_before_server: int = 0
    dropped_after_server: int = 0
    html_404: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dropped(self) -> int:
        return self.dropped_before_server + self.dropped_after_server


def _read_http_message(sock: socket.socket, deadline: float) -> bytes:
    """Read one HTTP/1.x message (headers and a Content-Length body) from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


_NOT_FOUND_BODY = b"<html><body><h1>404 Not Found</h1><hr>proxy</body></html>\n"
NOT_FOUND_PAGE = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_NOT_FOUND_BODY), _NOT_FOUND_BODY)
)


class LossyProxy:
    """Forwards one request per connection to the app; drops about `drop_rate` of them.

    Half of the drops cut the request before the server has all of it (nothing may be
    stored); the other half let the server answer and then cut the client off before
    the answer arrives (stored, but not acknowledged: the client must resend safely).
    Another `html_404_rate` of the requests never reach the app: the proxy answers them
    with an HTML 404 page, as a misrouted proxy or a maintenance page would.
    """

    def __init__(
        self, upstream_port: int, drop_rate: float, seed: int = 1, html_404_rate: float = 0.0
    ):
        self.upstream_port = upstream_port
        self.drop_rate = drop_rate
        self.html_404_rate = html_404_rate
        self.random = random.Random(seed)
        self.stats = ProxyStats()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        self.listener.close()
        self._thread.join(5)

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.stats.lock:
                self.stats.connections += 1
                roll = self.random.random()
            threading.Thread(target=self._handle, args=(client, roll), daemon=True).start()

    def _handle(self, client: socket.socket, roll: float):
        deadline = time.monotonic() + 30
        try:
            request = _read_http_message(client, deadline)
            if roll >= 1 - self.html_404_rate:
                client.sendall(NOT_FOUND_PAGE)
                with self.stats.lock:
                    self.stats.html_404 += 1
                return
            with socket.create_connection(
                ("127.0.0.1", self.upstream_port), timeout=30
            ) as upstream:
                if roll < self.drop_rate / 2:
                    upstream.sendall(request[: max(1, len(request) // 2)])
                    with self.stats.lock:
                        self.stats.dropped_before_server += 1
                    return
                upstream.sendall(request)
                response = _read_http_message(upstream, deadline)
                if roll < self.drop_rate:
                    with self.stats.lock:
                        self.stats.dropped_after_server += 1
                    return
                client.sendall(response)
        except OSError:
            pass
        finally:
            # SO_LINGER 0 turns close into a reset, like a network that just dies.
            client.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            client.close()


def post_json(port: int, path: str, headers: dict, body: dict, timeout: float = 10.0):
    """One POST on a fresh connection; returns (status, parsed JSON or None)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body)
        connection.request(
            "POST",
            path,
            body=payload,
            headers={"Content-Type": "application/json", "Connection": "close", **headers},
        )
        response = connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw or b"null")
        except ValueError:
            return response.status, None
    finally:
        connection.close()


# --- A fleet of simulated kiosks -------------------------------------------------------

PROVISION = """
import datetime
import json
from offices.models import AdministrativeUnit, Kiosk, Office
from surveys.models import Question, Survey, SurveyItem, SurveyVersion
units = AdministrativeUnit.objects
city = units.add_root({"code": "CHAOS", "name": "Chaos city", "level": "province"})
questions = [
    Question.objects.create(code="overall", kind="scale5", factor="results", text_vi="Hài lòng?"),
    Question.objects.create(code="polite", kind="yesno", factor="conduct", text_vi="Lịch sự?"),
]
kiosks = []
for n in range(%(offices)d):
    fields = {"code": f"W{n}", "name": f"Ward {n}", "level": "ward"}
    ward = units.add_child(units.get(pk=city.pk), fields)
    office = Office.objects.create(unit=ward, name=f"Office {n}")
    for k in range(%(per_office)d):
        kiosks.append(Kiosk.objects.create(office=office, name=f"K{n}-{k}"))
survey = Survey.objects.create(code="chaos", name="Chaos", variant="kiosk", unit=city)
version = SurveyVersion.objects.create(survey=survey, number=1)
for position, question in enumerate(questions):
    SurveyItem.objects.create(version=version, question=question, position=position, required=True)
version.publish(at=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
fleet = []
for kiosk in kiosks:
    _kiosk, credential = Kiosk.enrol(kiosk.issue_enrolment_token())
    fleet.append({"credential": credential, "office": kiosk.office_id})
print(json.dumps({"version": version.pk, "kiosks": fleet}))
"""


def provision_fleet(database_url: str, kiosks: int) -> dict:
    """Create one office per 5 kiosks, a two-question survey, and enrolled kiosks."""
    offices = max(1, kiosks // 5)
    code = PROVISION % {"offices": offices, "per_office": -(-kiosks // offices)}
    output = manage(database_url, "shell", "-c", code)
    fleet = json.loads(output.strip().splitlines()[-1])
    fleet["kiosks"] = fleet["kiosks"][:kiosks]
    return fleet


@dataclass
class FleetResult:
    sent_ids: set
    acknowledged: set
    attempts: int = 0
    errors: dict = field(default_factory=dict)


def rating_payload(rating_id: str, version: int, index: int, rng: random.Random) -> dict:
    """A plausible rating, with original times spaced a minute apart per kiosk."""
    from datetime import UTC, datetime, timedelta

    submitted = datetime.now(UTC) - timedelta(minutes=600 - index)
    return {
        "id": rating_id,
        "version": version,
        "language": rng.choice(["vi", "vi", "vi", "en", "fa"]),
        "started_at": (submitted - timedelta(seconds=40)).isoformat(),
        "submitted_at": submitted.isoformat(),
        "answers": [
            {"question": "overall", "value": rng.choice([5, 5, 4, 4, 4, 3, 2, 1])},
            {"question": "polite", "value": rng.choice([1, 1, 1, 0])},
        ],
    }


def run_fleet(port: int, fleet: dict, per_kiosk: int, *, deadline_s: float, on_progress=None):
    """Each kiosk sends its ratings in order, resending each (same id) until acknowledged,
    as the kiosk page does. Bounded by `deadline_s` seconds overall."""
    import uuid

    result = FleetResult(sent_ids=set(), acknowledged=set())
    lock = threading.Lock()
    deadline = time.monotonic() + deadline_s

    def kiosk_loop(number: int, kiosk: dict):
        rng = random.Random(number)
        headers = {"Authorization": f"Kiosk {kiosk['credential']}"}
        for index in range(per_kiosk):
            rating_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            body = rating_payload(rating_id, fleet["version"], index, rng)
            with lock:
                result.sent_ids.add(rating_id)
            backoff = 0.02
            while time.monotonic() < deadline:
                with lock:
                    result.attempts += 1
                try:
                    status, reply = post_json(port, "/kiosk/api/ratings/", headers, body)
                except (OSError, http_client_errors()) as error:
                    status, reply = None, type(error).__name__
                if status in (200, 201):
                    with lock:
                        result.acknowledged.add(rating_id)
                        if on_progress:
                            on_progress(len(result.acknowledged))
                    break
                with lock:
                    key = str(status or reply)
                    result.errors[key] = result.errors.get(key, 0) + 1
                if status == 422 and isinstance(reply, dict) and reply.get("final") is True:
                    break  # a final refusal (docs/kiosk.md): resending cannot help
                # Anything else, an HTML 404 from the proxy included, is tried again.
                time.sleep(backoff + rng.random() * backoff)
                backoff = min(backoff * 2, 0.5)

    threads = [
        threading.Thread(target=kiosk_loop, args=(n, k), daemon=True)
        for n, k in enumerate(fleet["kiosks"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic() + 5))
    return result


def http_client_errors():
    import http.client

    return http.client.HTTPException


ROLLUP_DISAGREEMENT_SQL = """
WITH raw AS (
    SELECT (r.submitted_at AT TIME ZONE o.time_zone)::date AS day, r.office_id, r.desk_id,
           r.staff_id, a.question_id, a.score, a.choice_id, count(*) AS count
    FROM surveys_answer a
    JOIN surveys_response r ON r.id = a.response_id
    JOIN offices_office o ON o.id = r.office_id
    WHERE NOT r.is_misuse AND (a.score IS NOT NULL OR a.choice_id IS NOT NULL)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
), rolled AS (
    SELECT day, office_id, desk_id, staff_id, question_id, score, choice_id, count
    FROM surveys_answerrollup WHERE count > 0
)
SELECT (SELECT count(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM rolled) x)
     + (SELECT count(*) FROM (SELECT * FROM rolled EXCEPT SELECT * FROM raw) y)
"""


MONTHLY_DISAGREEMENT_SQL = """
WITH daily AS (
    SELECT date_trunc('month', day)::date AS month, office_id, question_id, score, choice_id,
           sum(count) AS count
    FROM surveys_answerrollup WHERE count > 0 GROUP BY 1, 2, 3, 4, 5
), monthly AS (
    SELECT month, office_id, question_id, score, choice_id, count::numeric
    FROM surveys_monthlyanswerrollup WHERE count > 0
)
SELECT (SELECT count(*) FROM (SELECT * FROM daily EXCEPT SELECT * FROM monthly) x)
     + (SELECT count(*) FROM (SELECT * FROM monthly EXCEPT SELECT * FROM daily) y)
     + (SELECT abs((SELECT coalesce(sum(valid + flagged), 0) FROM surveys_responserollup)
                 - (SELECT coalesce(sum(valid + flagged), 0) FROM surveys_monthlyresponserollup)))
"""


def database_facts(pg: ThrowawayPostgres) -> dict:
    """Counts read straight from the database after a run."""
    with pg.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT id) FROM surveys_response")
        responses, distinct = cursor.fetchone()
        cursor.execute("SELECT coalesce(sum(valid + flagged), 0) FROM surveys_responserollup")
        (rolled_responses,) = cursor.fetchone()
        cursor.execute(ROLLUP_DISAGREEMENT_SQL)
        (answer_rollup_mismatches,) = cursor.fetchone()
        cursor.execute(MONTHLY_DISAGREEMENT_SQL)
        (monthly_mismatches,) = cursor.fetchone()
        cursor.execute("SELECT id::text FROM surveys_response")
        stored_ids = {row[0] for row in cursor.fetchall()}
    return {
        "responses": responses,
        "distinct": distinct,
        "rolled_responses": int(rolled_responses),
        "answer_rollup_mismatches": answer_rollup_mismatches,
        "monthly_rollup_mismatches": int(monthly_mismatches),
        "stored_ids": stored_ids,
    }


def fault_run(
    work_dir: Path,
    *,
    ratings: int,
    kiosks: int,
    drop_rate: float,
    deadline_s: float,
    html_404_rate: float = 0.05,
    migrated_dump: Path | None = None,
):
    """The whole experiment; returns a dict of figures (printed by the test and `make chaos`).
    `migrated_dump`: a `pg_dump -Fc` of a freshly migrated database (the test suite's
    template, tests/fast_db.py) to restore instead of running every migration."""
    pg = ThrowawayPostgres(work_dir / "pg")
    try:
        if migrated_dump:
            pg.restore(migrated_dump)
        else:
            manage(pg.url, "migrate", "--noinput")
        fleet = provision_fleet(pg.url, kiosks)
        per_kiosk = -(-ratings // kiosks)
        restarted = threading.Event()
        restart_seconds: list[float] = []
        restart_errors: list[str] = []

        def restart():
            try:
                restart_seconds.append(pg.restart())
            except Exception as error:  # reported in the figures, and the test fails
                restart_errors.append(repr(error))

        def restart_once(acknowledged: int):
            if acknowledged >= ratings // 3 and not restarted.is_set():
                restarted.set()
                restarter = threading.Thread(target=restart)
                restarter.start()
                restarters.append(restarter)

        restarters: list[threading.Thread] = []

        log_path = work_dir / "gunicorn.log"
        with (
            gunicorn(pg.url, log_path) as app_port,
            LossyProxy(app_port, drop_rate, html_404_rate=html_404_rate) as proxy,
        ):
            started = time.monotonic()
            result = run_fleet(
                proxy.port, fleet, per_kiosk, deadline_s=deadline_s, on_progress=restart_once
            )
            elapsed = time.monotonic() - started
            proxy_stats = proxy.stats
            for restarter in restarters:
                restarter.join(60)
        facts = database_facts(pg)
    finally:
        pg.close()
    return {
        "ratings_sent": len(result.sent_ids),
        "acknowledged": len(result.acknowledged),
        "attempts": result.attempts,
        "stored": facts["responses"],
        "lost": len(result.sent_ids - facts["stored_ids"]),
        "doubled": facts["responses"] - facts["distinct"],
        "unexpected": len(facts["stored_ids"] - result.sent_ids),
        "rollup_responses": facts["rolled_responses"],
        "answer_rollup_mismatches": facts["answer_rollup_mismatches"],
        "monthly_rollup_mismatches": facts["monthly_rollup_mismatches"],
        "connections": proxy_stats.connections,
        "dropped_before_server": proxy_stats.dropped_before_server,
        "dropped_after_server": proxy_stats.dropped_after_server,
        "html_404_pages": proxy_stats.html_404,
        "database_restarts": len(restart_seconds),
        "restart_seconds": round(restart_seconds[0], 2) if restart_seconds else None,
        "restart_errors": restart_errors,
        "client_errors": result.errors,
        "seconds": round(elapsed, 1),
    }
