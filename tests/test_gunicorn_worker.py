"""The gunicorn worker of production (config/gunicorn_worker.py): connections opened but
not yet sending wait in the poller, so they never hold up a request that is ready."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = """
def application(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    (tmp_path / "tiny_app.py").write_text(APP)
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(  # noqa: S603 — our own gunicorn, on loopback
        [
            str(gunicorn),
            "tiny_app:application",
            "--chdir",
            str(tmp_path),
            "--pythonpath",
            str(ROOT),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
            "--worker-class",
            "config.gunicorn_worker.PromptThreadWorker",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(10)


def ask(sock: socket.socket) -> bytes:
    sock.sendall(REQUEST)
    return sock.recv(4096)


def test_idle_new_connections_do_not_hold_the_threads(server):
    idle = [socket.create_connection(("127.0.0.1", server), timeout=5) for _ in range(4)]
    time.sleep(0.3)  # accepted by now, and (in plain gthread) each waiting in a thread
    ready = socket.create_connection(("127.0.0.1", server), timeout=5)
    started = time.monotonic()
    assert ask(ready).startswith(b"HTTP/1.1 200")
    # Plain gthread: both threads wait up to 5 s on the first idle connections.
    assert time.monotonic() - started < 1.0
    # The idle connections were kept, not dropped: each is served when it speaks.
    for sock in idle:
        assert ask(sock).startswith(b"HTTP/1.1 200")
        sock.close()
    ready.close()
