"""A throw-away PostgreSQL server for the benchmark, in its own data directory.

It uses the binaries the pgserver wheel ships (the project's embedded database), so
the benchmark needs no system PostgreSQL and never touches anyone's data. Run as
root, PostgreSQL refuses to start, so the server runs as the `pgserver` system user
(the same user pgserver itself creates). Connections go through a Unix socket in the
data directory: no TCP port to collide with.
"""

# ruff: noqa: S603, S607 — a benchmark driver runs fixed local programs (pg_ctl, wrk, git).

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pgserver

BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
SYSTEM_USER = "pgserver"

# Tuned for a 2-core, 24 GB machine running one benchmark; durability stays on
# (fsync, synchronous_commit), as in production, so a kiosk commit is a real commit.
SETTINGS = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "max_connections": "200",
    "random_page_cost": "1.1",
    "jit": "off",
    "listen_addresses": "''",
    "max_parallel_workers_per_gather": "2",
}


def _run_as():
    """subprocess keyword arguments that drop root to the pgserver user."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
    return {"user": SYSTEM_USER, "group": SYSTEM_USER}


class Cluster:
    def __init__(self, data_dir: Path, settings: dict | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.settings = {**SETTINGS, **(settings or {})}

    def _pg(self, program: str, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [str(BIN / program), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            **_run_as(),
        )
        return result.stdout

    def init(self) -> None:
        """A fresh data directory (an old one is removed first)."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        kwargs = _run_as()
        if kwargs:
            shutil.chown(self.data_dir, kwargs["user"], kwargs["group"])
        self._pg(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        lines = [f"{k} = {v}" for k, v in self.settings.items()]
        lines.append(f"unix_socket_directories = '{self.data_dir}'")
        with (self.data_dir / "postgresql.auto.conf").open("a") as conf:
            conf.write("\n".join(lines) + "\n")

    def start(self) -> None:
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.data_dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@{quote(str(self.data_dir), safe='')}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                str(BIN / "psql"),
                "-h",
                str(self.data_dir),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atq",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        return result.stdout.strip()

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if (
                subprocess.run(
                    [str(BIN / "pg_isready"), "-h", str(self.data_dir), "-U", "postgres"],
                    capture_output=True,
                ).returncode
                == 0
            ):
                return
            time.sleep(0.2)
        raise TimeoutError(f"PostgreSQL in {self.data_dir} did not become ready")
