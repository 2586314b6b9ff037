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
import socket
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


def standby_of(primary: Cluster, data_dir: Path) -> Cluster:
    """A hot standby of `primary` fed by streaming replication (pg_basebackup -R), in its
    own data directory with its own socket; not started."""
    standby = Cluster(data_dir, settings={"shared_buffers": "1GB", "hot_standby": "on"})
    standby.stop()
    shutil.rmtree(standby.data_dir, ignore_errors=True)
    standby.data_dir.parent.mkdir(parents=True, exist_ok=True)
    kwargs = _run_as()
    if kwargs:
        shutil.chown(standby.data_dir.parent, kwargs["user"], kwargs["group"])
    standby._pg(
        "pg_basebackup",
        "-h",
        str(primary.data_dir),
        "-U",
        "postgres",
        "-D",
        str(standby.data_dir),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        timeout=3600,
    )
    # The primary's socket lives in its data directory, so the copy holds its lock file
    # (and its log): remove them, or the standby refuses to start.
    for leftover in (".s.PGSQL.5432.lock", "server.log"):
        (standby.data_dir / leftover).unlink(missing_ok=True)
    # The copied configuration names the primary's socket; later lines win.
    with (standby.data_dir / "postgresql.auto.conf").open("a") as conf:
        conf.write(f"\nunix_socket_directories = '{standby.data_dir}'\nshared_buffers = 1GB\n")
    return standby


PGBOUNCER_PATHS = ("pgbouncer", "/usr/sbin/pgbouncer")


def find_pgbouncer() -> str | None:
    return next((p for p in map(shutil.which, PGBOUNCER_PATHS) if p), None)


def ensure_pgbouncer() -> str:
    """Debian's pgbouncer, installed when missing (as .ci would: apt-get, by name)."""
    found = find_pgbouncer()
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "pgbouncer"], check=True, capture_output=True)
    found = find_pgbouncer()
    if not found:
        raise RuntimeError("pgbouncer is not installed and could not be installed")
    return found


class PgBouncer:
    """PgBouncer in transaction pooling mode in front of `cluster`, on 127.0.0.1:`port`
    and on a Unix socket in `directory`.

    Runs as the pgserver user (PgBouncer refuses root); every client database name is
    passed through to the same server over its Unix socket. Clients reach it over the
    Unix socket when `unix` is true (as gunicorn reaches PostgreSQL in the direct runs:
    a pooler beside the application needs no TCP hop), else over 127.0.0.1.
    """

    def __init__(
        self,
        cluster: Cluster,
        directory: Path,
        port: int = 6543,
        pool_size: int = 20,
        max_client_conn: int = 1000,
        unix: bool = True,
    ):
        self.cluster, self.directory = cluster, directory
        self.port, self.pool_size, self.max_client_conn = port, pool_size, max_client_conn
        self.unix = unix
        self.process: subprocess.Popen | None = None

    def url(self, database: str) -> str:
        host = quote(str(self.directory), safe="") if self.unix else "127.0.0.1"
        return f"postgres://postgres@{host}:{self.port}/{database}"

    def start(self) -> PgBouncer:
        binary = ensure_pgbouncer()
        self.directory.mkdir(parents=True, exist_ok=True)
        ini = self.directory / "pgbouncer.ini"
        (self.directory / "userlist.txt").write_text('"postgres" ""\n')
        ini.write_text(
            "[databases]\n"
            f"* = host={self.cluster.data_dir} port=5432\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            f"unix_socket_dir = {self.directory}\n"
            f"auth_type = trust\nauth_file = {self.directory / 'userlist.txt'}\n"
            f"pool_mode = transaction\nmax_client_conn = {self.max_client_conn}\n"
            f"default_pool_size = {self.pool_size}\nreserve_pool_size = 0\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.directory / 'pgbouncer.log'}\n"
            # gunicorn keeps its connections (CONN_MAX_AGE); nothing to log per connection.
            "log_connections = 0\nlog_disconnections = 0\n"
        )
        kwargs = _run_as()
        if kwargs:
            for path in (self.directory, *self.directory.iterdir()):
                shutil.chown(path, kwargs["user"], kwargs["group"])
        self.process = subprocess.Popen(
            [binary, str(ini)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"pgbouncer did not start: see {self.directory / 'pgbouncer.log'}")

    def version(self) -> str:
        out = subprocess.run([ensure_pgbouncer(), "--version"], capture_output=True, text=True)
        return out.stdout.splitlines()[0] if out.stdout else "pgbouncer"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
