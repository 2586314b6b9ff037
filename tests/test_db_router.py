"""The read-replica router: report pages read from the replica, everything else the primary.

The last tests run against a real pair of PostgreSQL servers on Unix sockets: a
primary and a hot standby made with pg_basebackup and fed by streaming replication.
They are skipped, with the reason, when that pair cannot be started here.
"""

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from config import db_router
from config.db_router import ReplicaForReportsMiddleware, ReportReplicaRouter, reads_from_replica
from surveys.models import AnswerRollup, Response

router = ReportReplicaRouter()


@pytest.fixture
def replica_on(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_without_a_replica_every_read_uses_the_primary():
    with reads_from_replica():
        assert router.db_for_read(AnswerRollup) is None  # None: Django's default database


def test_report_reads_of_report_data_go_to_the_replica(replica_on):
    assert router.db_for_read(AnswerRollup) is None
    with reads_from_replica():
        assert router.db_for_read(AnswerRollup) == "replica"
        assert router.db_for_read(Response) == "replica"
        assert router.db_for_read(Session) is None  # a fresh session may not be there yet
    assert router.db_for_read(AnswerRollup) is None


def test_writes_and_migrations_always_use_the_primary(replica_on):
    with reads_from_replica():
        assert router.db_for_write(AnswerRollup) == "default"
    assert router.allow_migrate("default", "surveys")
    assert not router.allow_migrate("replica", "surveys")


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(replica_on):
    with reads_from_replica(), transaction.atomic():
        assert router.db_for_read(AnswerRollup) is None


def _route_during(request, responses: list | None = None) -> list:
    seen = []

    def view(request):
        seen.append(router.db_for_read(AnswerRollup))
        return HttpResponse()

    response = ReplicaForReportsMiddleware(view)(request)
    if responses is not None:
        responses.append(response)
    return seen


class _User:
    def __init__(self, authenticated: bool):
        self.is_authenticated = authenticated


def _post_as(user, url: str):
    request = RequestFactory().post(url)
    request.user = user
    return request


def test_middleware_uses_the_replica_only_for_report_pages_read_with_get(replica_on):
    factory = RequestFactory()
    report_url = reverse("reports:dashboard")
    assert _route_during(factory.get(report_url)) == ["replica"]
    assert _route_during(factory.post(report_url)) == [None]
    assert _route_during(factory.get(reverse("home"))) == [None]
    assert _route_during(factory.get("/no/such/page/")) == [None]
    assert router.db_for_read(AnswerRollup) is None  # the request's context has ended


@pytest.mark.django_db
def test_a_signed_in_write_pins_the_browser_and_an_anonymous_one_does_not(replica_on):
    url = reverse("reports:dashboard")
    responses = []
    _route_during(_post_as(_User(True), url), responses)
    _route_during(_post_as(_User(False), url), responses)
    pinned, anonymous = responses
    cookie = pinned.cookies[db_router.PIN_COOKIE]
    assert db_router.LSN_SHAPE.fullmatch(cookie.value)  # the primary's WAL position
    assert cookie["max-age"] == 60 and cookie["httponly"]
    assert db_router.PIN_COOKIE not in anonymous.cookies


def test_a_malformed_pin_cookie_is_ignored(replica_on):
    request = RequestFactory().get(reverse("reports:dashboard"))
    request.COOKIES[db_router.PIN_COOKIE] = "'; DROP TABLE x; --"
    responses = []
    assert _route_during(request, responses) == ["replica"]
    assert responses[0].cookies[db_router.PIN_COOKIE].value == ""  # dropped


# --- A real primary and streaming replica ------------------------------------------------

PG_BIN = Path(shutil.which("pg_ctl") or "").parent
try:
    import pgserver

    PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
except ImportError:  # pragma: no cover
    pass


def _pg(program: str, *args: str, timeout: float = 30):
    kwargs = {"user": "pgserver", "group": "pgserver"} if os.geteuid() == 0 else {}
    return subprocess.run(
        [str(PG_BIN / program), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def _sql(socket_dir: Path, statement: str) -> str:
    result = subprocess.run(
        [str(PG_BIN / "psql"), "-h", str(socket_dir), "-U", "postgres", "-Atqc", statement],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def streaming_pair():
    """(primary socket dir, replica socket dir), or a skip saying why not."""
    root = Path(tempfile.mkdtemp(prefix="replica-test-"))
    primary, replica = root / "primary", root / "replica"
    # Sockets live outside the data directories: a base backup would otherwise copy the
    # primary's socket lock file into the replica.
    primary_socket, replica_socket = root / "primary-socket", root / "replica-socket"
    started = []
    try:
        for directory in (primary_socket, replica_socket):
            directory.mkdir()
        if os.geteuid() == 0:
            for directory in (root, primary_socket, replica_socket):
                shutil.chown(directory, "pgserver", "pgserver")
        _pg("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "--no-sync")
        (primary / "postgresql.auto.conf").write_text(
            f"unix_socket_directories = '{primary_socket}'\nlisten_addresses = ''\n"
            "wal_level = replica\nmax_wal_senders = 4\nfsync = off\n"
        )
        _pg("pg_ctl", "-D", str(primary), "-l", str(root / "primary.log"), "-w", "start")
        started.append(primary)
        _pg("pg_basebackup", "-h", str(primary_socket), "-U", "postgres", "-D", str(replica), "-R")
        with (replica / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"\nunix_socket_directories = '{replica_socket}'\n")
        _pg("pg_ctl", "-D", str(replica), "-l", str(root / "replica.log"), "-w", "start")
        started.append(replica)
    except (OSError, KeyError, subprocess.SubprocessError) as exc:
        for data in started:
            _pg("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)
        detail = getattr(exc, "stderr", "") or exc
        pytest.skip(f"cannot start a PostgreSQL primary and streaming replica here: {detail}")
    yield primary_socket, replica_socket
    for data in reversed(started):
        _pg("pg_ctl", "-D", str(data), "-m", "immediate", "-W", "stop")
    shutil.rmtree(root, ignore_errors=True)


@contextmanager
def replica_alias(socket_dir: Path, alias: str = "replica"):
    """Django's "replica" database pointing at the standby, as DATABASE_REPLICA_URL would.

    Registered inside the test, after the test case has fenced off the databases it
    knows, as the settings would have registered it at start-up.
    """
    configured = connections.configure_settings(
        {
            "default": dict(connections.settings["default"]),
            "replica": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "postgres",
                "USER": "postgres",
                "HOST": str(socket_dir),
            },
        }
    )
    connections.settings[alias] = configured["replica"]
    try:
        yield
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def _wait_for(socket_dir: Path, statement: str, expected: str, seconds: float = 10) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = _sql(socket_dir, statement)
        except subprocess.CalledProcessError:
            value = None
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_report_reads_come_from_the_streaming_replica(
    streaming_pair, replica_on, django_db_blocker
):
    primary, replica = streaming_pair
    # The roll-up table's columns, created and filled on the primary only.
    _sql(
        primary,
        "CREATE TABLE surveys_answerrollup (id bigint PRIMARY KEY, day date, office_id bigint, "
        "desk_id bigint, staff_id bigint, question_id bigint, score smallint, choice_id bigint, "
        "count int); INSERT INTO surveys_answerrollup "
        "SELECT g, '2026-10-01', 1, NULL, NULL, 1, 5, NULL, g FROM generate_series(1, 3) g",
    )
    assert _wait_for(replica, "SELECT count(*) FROM surveys_answerrollup", "3") == "3"

    routers = ["config.db_router.ReportReplicaRouter"]
    # No test database is involved: only the standby is queried, outside pytest-django's
    # per-test transaction (inside it, every read rightly stays on the primary).
    with replica_alias(replica), override_settings(DATABASE_ROUTERS=routers):
        assert AnswerRollup.objects.all().db == "default"
        with reads_from_replica(), django_db_blocker.unblock():
            assert AnswerRollup.objects.all().db == "replica"
            assert sorted(AnswerRollup.objects.values_list("count", flat=True)) == [1, 2, 3]


def test_the_replica_is_a_read_only_hot_standby(streaming_pair):
    _, replica = streaming_pair
    assert _sql(replica, "SELECT pg_is_in_recovery()") == "t"
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _sql(replica, "CREATE TABLE nope (id int)")
    assert "read-only transaction" in refused.value.stderr


def test_after_a_write_the_user_reads_the_primary_until_the_replica_has_replayed_it(
    streaming_pair, replica_on, monkeypatch, django_db_blocker
):
    """Read your own writes, against the real standby with its replay paused."""
    primary, replica = streaming_pair
    _sql(
        primary,
        "CREATE TABLE pinned_rollup (id bigint PRIMARY KEY, count int);"
        " INSERT INTO pinned_rollup VALUES (1, 1)",
    )
    assert _wait_for(replica, "SELECT count(*) FROM pinned_rollup", "1") == "1"
    url = reverse("reports:dashboard")
    seen = []

    def view(request):
        if request.method == "POST":  # an official's write, committed on the primary
            _sql(primary, "INSERT INTO pinned_rollup VALUES (2, 2)")
        else:
            alias = router.db_for_read(AnswerRollup) or db_router.PRIMARY
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pinned_rollup")
                seen.append((alias, cursor.fetchone()[0]))
        return HttpResponse()

    middleware = ReplicaForReportsMiddleware(view)
    with replica_alias(replica), replica_alias(primary, "pair_primary"):
        monkeypatch.setattr(db_router, "PRIMARY", "pair_primary")
        with django_db_blocker.unblock():
            _sql(replica, "SELECT pg_wal_replay_pause()")
            try:
                cookie = middleware(_post_as(_User(True), url)).cookies[db_router.PIN_COOKIE]
                get = RequestFactory().get(url)
                get.COOKIES[db_router.PIN_COOKIE] = cookie.value
                # Replay paused: the replica has not got the write, so the primary answers.
                assert not db_router.replica_has_replayed(cookie.value)
                kept = middleware(get)
                assert seen.pop() == ("pair_primary", 2)  # the user's own write is there
                assert db_router.PIN_COOKIE not in kept.cookies  # still pinned
                # Without the cookie (another user) the stale replica answers.
                middleware(RequestFactory().get(url))
                assert seen.pop() == ("replica", 1)
            finally:
                _sql(replica, "SELECT pg_wal_replay_resume()")
            assert _wait_for(replica, "SELECT count(*) FROM pinned_rollup", "2") == "2"
            deadline = time.monotonic() + 10
            while not db_router.replica_has_replayed(cookie.value):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            released = middleware(get)
            assert seen.pop() == ("replica", 2)  # caught up: back to the replica, write seen
            assert released.cookies[db_router.PIN_COOKIE].value == ""
