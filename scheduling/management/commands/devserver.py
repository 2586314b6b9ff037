"""`make run`: the development server together with the job worker.

Starts `manage.py qcluster` (django-q2's worker and scheduler) as a child process,
says so, runs `runserver`, and stops the worker when the server stops (Ctrl-C
included). Tests and CI never need the worker: they call the jobs directly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType
from typing import Any, NoReturn

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the development server and the scheduled-job worker; stop both together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true")

    def handle(self, *args: Any, addrport: str, noreload: bool, **options: Any) -> None:
        if os.environ.get("RUN_MAIN") == "true":
            # The autoreloader's child: the worker belongs to the outer process.
            call_command("runserver", addrport, use_reloader=True)
            return
        # Its own session: Ctrl-C reaches only the server, which then stops the worker
        # cleanly (the cluster's processes all at once would not shut down in order).
        worker = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"],
            start_new_session=True,
        )
        jobs = ", ".join(settings.SCHEDULED_JOBS)
        self.stdout.write(
            self.style.SUCCESS(f"Job worker started (django-q2 qcluster, pid {worker.pid}): ")
            + f"{jobs}. Schedules, runs and failures: /admin/django_q/"
        )
        self.stdout.flush()
        # A stop request (SIGTERM from a process manager, or `kill`) ends the server the
        # way Ctrl-C does, so the worker is stopped with it rather than left behind.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            call_command("runserver", addrport, use_reloader=not noreload)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop(worker)

    def stop(self, worker: subprocess.Popen[bytes]) -> None:
        if worker.poll() is None:
            self.stdout.write("Stopping the job worker…")
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)  # the cluster and its worker processes
                worker.wait()
        self.stdout.write(f"Job worker stopped (pid {worker.pid}).")
