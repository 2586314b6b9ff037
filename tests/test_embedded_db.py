"""The embedded database survives a killed process: a manage.py process killed with SIGKILL,
its list of handles left cut short, and the next command (what `make test` runs first)
still starts, repairs the state with a one-line notice, and reaches the database; and
`make run` stopped from its terminal (Ctrl-C, `kill`) leaves nothing of itself running."""

import ast
import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from config.embedded_db import HANDLE_FILE, _pid_alive, repair_handle_file
from tests import fast_db

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def embedded_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ENV")}
    env.update(EMBEDDED_DB_DIR=str(data_dir), DJANGO_ENV="development", DEBUG="0")
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "pgdata"
    yield path
    pid_file = path / "postmaster.pid"
    if pid_file.exists():  # stop the throwaway server we started (SIGQUIT: immediate)
        postmaster = int(pid_file.read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(postmaster, signal.SIGQUIT)
            deadline = time.monotonic() + 60
            while _pid_alive(postmaster) and time.monotonic() < deadline:
                time.sleep(0.1)


def test_a_killed_server_process_and_a_cut_handle_list_do_not_break_the_next_command(data_dir):
    env = embedded_env(data_dir)
    # What `make run` leaves running: a manage.py process attached to the embedded server.
    attached = (
        "from django.db import connection as c; c.ensure_connection(); "
        "print('up', flush=True); import time; time.sleep(600)"
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", attached],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "up", "no connection to the embedded database"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    handles = data_dir / HANDLE_FILE
    assert server.pid in json.loads(handles.read_text())  # a stale handle of a dead process
    # What a process killed in the middle of rewriting the list leaves behind.
    handles.write_text(handles.read_text()[:2])

    result = manage(
        env,
        "shell",
        "-c",
        "from django.db import connection as c; c.ensure_connection(); print('reached')",
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "reached" in result.stdout
    notices = [line for line in result.stderr.splitlines() if "repaired" in line]
    assert len(notices) == 1 and "unreadable" in notices[0]
    assert json.loads(handles.read_text()) == []  # the shell's own handle removed at exit


def test_repair_drops_only_the_handles_of_processes_that_no_longer_run(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    (tmp_path / HANDLE_FILE).write_text(json.dumps([os.getpid(), dead_pid]))
    assert "1 stale" in repair_handle_file(tmp_path)
    assert json.loads((tmp_path / HANDLE_FILE).read_text()) == [os.getpid()]
    assert repair_handle_file(tmp_path) is None  # nothing left to repair


@pytest.mark.parametrize("text", ["", "[", "[12, 3", "{}", '["x"]', "\x00\x00"])
def test_repair_rewrites_an_unreadable_handle_list(tmp_path, text):
    (tmp_path / HANDLE_FILE).write_text(text)
    assert "unreadable" in repair_handle_file(tmp_path)
    assert json.loads((tmp_path / HANDLE_FILE).read_text()) == []


# --- `make run` stopped from its terminal ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LIGHT_DEMO = "--months 1 --volume 0.05"


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _start_make_run(env: dict, port: int) -> tuple[subprocess.Popen, int]:
    """`make run` in a process group of its own, as a terminal's foreground job; returns it
    and the job worker's pid once the server answers."""
    make = subprocess.Popen(
        # A month of demo ratings at 5 % volume: the demo's size is not what is tested.
        ["make", "--no-print-directory", "run", f"PORT={port}", f"DEMO_RATINGS_ARGS={LIGHT_DEMO}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # A terminal's job has the default SIGINT handler (a background shell ignores it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    output, deadline = "", time.monotonic() + 240
    while "Job worker started" not in output:
        assert make.poll() is None and time.monotonic() < deadline, output[-3000:]
        ready, _, _ = select.select([make.stdout], [], [], 1)
        if ready:
            output += make.stdout.readline()
    worker = int(re.search(r"Job worker started \(.*pid (\d+)\)", output)[1])
    while not _answers(port):
        assert make.poll() is None and time.monotonic() < deadline, output[-3000:]
        time.sleep(0.3)
    return make, worker


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_like_a_terminal(make: subprocess.Popen, worker: int, signum: int) -> str:
    """The signal to every process of the job (make, manage.py, runserver's child); then
    nothing of it may be left: not the server, not the job worker and its processes."""
    os.killpg(make.pid, signum)
    rest = make.communicate(timeout=90)[0]
    deadline = time.monotonic() + 30
    while (_group_alive(make.pid) or _group_alive(worker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(make.pid), f"part of `make run` still runs:\n{rest[-2000:]}"
    assert not _group_alive(worker), f"the job worker (pid {worker}) still runs"
    assert f"Job worker stopped (pid {worker})" in rest
    return rest


def _live_handles(data_dir: Path) -> list[int]:
    path = data_dir / HANDLE_FILE
    return json.loads(path.read_text()) if path.exists() else []


def _restore_migrated(env: dict, dump: Path) -> None:
    """Start the embedded server in the test's data folder and load the suite's migrated
    template into its database, so that `make run`'s `migrate` finds nothing to apply
    (running every migration costs ~20 s of CPU; the suite's template is made by a real
    `migrate`, and CI's fresh clone runs one)."""
    where = manage(
        env, "shell", "-c", "from django.conf import settings as s; print(s.DATABASES['default'])"
    )
    assert where.returncode == 0, where.stderr[-2000:]
    database = ast.literal_eval(where.stdout.strip().splitlines()[-1])
    restored = subprocess.run(
        [fast_db.embedded_program("pg_restore"), "--no-owner", "--exit-on-error"]
        + ["--host", database["HOST"], "--username", database["USER"]]
        + ["--dbname", database["NAME"], str(dump)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restored.returncode == 0, restored.stderr[-3000:]


@pytest.fixture
def migrated_dump(tmp_path, db, django_db_blocker) -> Path | None:
    """The suite's migrated template database as a dump (tests/fast_db.py), or None (a
    `--reuse-db` run, a server of another major version): then `make run` migrates.
    (`db`: so that a run of this test alone creates the test database and its template.)"""
    from django.db import connection

    dump = tmp_path / "migrated.dump"
    with django_db_blocker.unblock():
        return dump if fast_db.dump_for_embedded(connection, dump) else None


@pytest.mark.slow
def test_make_run_stopped_by_its_terminal_leaves_nothing_running_and_the_next_commands_start(
    data_dir, migrated_dump
):
    """Ctrl-C (SIGINT), then a `kill` (SIGTERM), to the whole `make run` job as a terminal
    sends them; each time the next `make run`, and then `make test`, start cleanly."""
    env = embedded_env(data_dir)
    env.pop("PYTEST_CURRENT_TEST", None)
    env = {k: v for k, v in env.items() if not k.startswith(("PYTEST_XDIST", "DJANGO_ALLOW"))}
    if migrated_dump:
        _restore_migrated(env, migrated_dump)
    for signum in (signal.SIGINT, signal.SIGTERM):
        make, worker = _start_make_run(env, _free_port())
        try:
            rest = _stop_like_a_terminal(make, worker, signum)
        finally:
            for group in (make.pid, worker):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
            make.wait()
        # Its handles may name processes that are gone (Django's autoreloader kills its
        # server child if it is slow to exit); the next command prunes them, see below.
        assert "Traceback" not in rest, rest[-3000:]
        assert all(isinstance(pid, int) for pid in _live_handles(data_dir))

    # What `make test` runs, on the same embedded database: pytest creates its test
    # database on that server and a test reaches it.
    tests = subprocess.run(
        [
            str(Path(sys.executable).parent / "pytest"),
            "-q",
            "-n0",
            "-p",
            "no:cacheprovider",
            "--no-migrations",
            "tests/test_health.py::test_healthz_is_ok_with_a_database_round_trip",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "1 passed" in tests.stdout
    # At most the one-line notice that stale handles were dropped; nothing unreadable.
    notices = [line for line in tests.stderr.splitlines() if "repaired" in line]
    assert all("stale handle" in line for line in notices), notices
    assert [pid for pid in _live_handles(data_dir) if not _pid_alive(pid)] == []
