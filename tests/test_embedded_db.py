"""The embedded database survives a killed process: `make run` killed with SIGKILL, its
list of handles left cut short, and the next command (what `make test` runs first) still
starts, repairs the state with a one-line notice, and reaches the database."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.embedded_db import HANDLE_FILE, repair_handle_file

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
    if (path / "postmaster.pid").exists():  # stop the throwaway server we started
        from pgserver._commands import pg_ctl

        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=path, user=user, timeout=60)


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
