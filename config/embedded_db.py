"""The embedded PostgreSQL used by `make run` and `make test` when DATABASE_URL is unset.

pgserver ships PostgreSQL 16.2 binaries inside its wheel, so a newcomer needs no
database installed. The data lives in `.pgdata/` (git-ignored) and the server is left
running between commands (cleanup_mode=None) so tests and the dev server start fast;
`make db-stop` stops it. Production settings refuse this.

pgserver keeps the pids of the processes using the server in `.pgdata/.handle_pids.json`
and rewrites it in place on every start and exit. A process killed during that write
(Ctrl-C twice, `kill -9`, an OOM kill) leaves the file empty or cut short, and pgserver
then fails on every later command. So the bootstrap here

* holds an exclusive lock (`.pgdata.lock` beside the data directory) while it starts or
  attaches to the server, so two commands starting at once do not race;
* makes pgserver's writes of that file atomic (a temporary file, then a rename);
* repairs what an earlier crash left: an unreadable file, or pids of processes that no
  longer exist, with a one-line notice on stderr.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgserver.utils import DiskList

HANDLE_FILE = ".handle_pids.json"
POSTGRES_VERSION = "16.2"  # the binaries pgserver 0.1.4 ships; README says the same


@contextlib.contextmanager
def _bootstrap_lock(data_dir: Path) -> Iterator[None]:
    lock_path = data_dir.with_name(data_dir.name + ".lock")
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def repair_handle_file(data_dir: Path) -> str | None:
    """Make pgserver's pid list readable and current; return what was repaired, if anything."""
    path = data_dir / HANDLE_FILE
    if not path.exists():
        return None
    text = path.read_text()
    try:
        pids = json.loads(text)
        if not isinstance(pids, list) or not all(isinstance(p, int) for p in pids):
            raise ValueError(text)
    except ValueError:
        _write_atomically(path, "[]")
        return f"its list of handles ({HANDLE_FILE}) was unreadable, left by a killed process"
    alive = [pid for pid in pids if _pid_alive(pid)]
    if alive != pids:
        _write_atomically(path, json.dumps(alive))
        return f"{len(pids) - len(alive)} stale handle(s) of processes that no longer run"
    return None


def _atomic_disk_lists() -> None:
    """pgserver's DiskList.put rewrites the file in place; write it atomically instead."""
    from pgserver import utils

    def put(self: DiskList, values: list[int]) -> None:
        _write_atomically(Path(self.path), json.dumps(values))

    utils.DiskList.put = put  # type: ignore[method-assign]


def embedded_database(data_dir: Path) -> dict[str, str]:
    """Start (or reuse) the embedded server and return a Django DATABASES entry."""
    import warnings
    from urllib.parse import parse_qs, urlsplit

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    _atomic_disk_lists()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _bootstrap_lock(data_dir):
        repaired = repair_handle_file(data_dir)
        if repaired:
            print(f"embedded database in {data_dir}: repaired {repaired}.", file=sys.stderr)
        server = pgserver.get_server(data_dir, cleanup_mode=None)
    # The URI names a Unix socket directory in its query string: ?host=/path
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": socket_dir,
    }
