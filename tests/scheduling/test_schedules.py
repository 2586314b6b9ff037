"""The scheduled jobs: on schedule under a controlled clock, once per period, in the admin,
and started (and stopped) with the development server as `make run` does."""

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import time
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django_q.models import Schedule, Success
from django_q.scheduler import scheduler

from offices.models import AuditEvent
from reports.models import ReportDelivery
from scheduling.models import JobRun
from scheduling.schedules import sync_schedules
from scheduling.tasks import purge_personal_data
from suggestions.models import Suggestion

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=HANOI)


def reports_sent() -> list:
    return [m for m in mail.outbox if m.attachments]


@pytest.fixture
def monthly_setup(tree, rate, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tree.office_a.head_email = "truong@nghiatan.example.vn"
    tree.office_a.save()
    rate(tree.office_a, access=5, when=at(2026, 3, 10, 9, 0))
    return tree


def test_migrate_creates_every_configured_schedule(db):
    schedules = {s.name: s for s in Schedule.objects.all()}
    assert set(settings.SCHEDULED_JOBS) <= set(schedules)
    for name, (func, cron) in settings.SCHEDULED_JOBS.items():
        assert (schedules[name].func, schedules[name].cron) == (func, cron)
        assert schedules[name].next_run is not None


def test_an_admins_timing_survives_a_new_migrate(db):
    Schedule.objects.filter(name="purge-personal-data").update(cron="45 3 * * *")
    assert sync_schedules() == []
    assert Schedule.objects.get(name="purge-personal-data").cron == "45 3 * * *"


def test_purge_and_monthly_jobs_run_on_schedule_with_a_controlled_clock(monthly_setup):
    suggestion = Suggestion(office=monthly_setup.office_a, category="other", text="Ghế chờ")
    suggestion.created_at = at(2025, 6, 1, 9, 0)
    suggestion.submitter_ip = "203.0.113.9"
    suggestion.save()
    Schedule.objects.all().delete()
    with time_machine.travel(at(2026, 3, 31, 23, 50), tick=False) as clock:
        sync_schedules()
        scheduler()  # nothing is due yet
        assert not Success.objects.exists() and not mail.outbox
        # (The alert jobs run too: the old unseen suggestion is overdue, and alerted.)

        clock.move_to(at(2026, 4, 1, 2, 31))  # the nightly purge is due, March's report not yet
        scheduler()
        assert JobRun.objects.filter(job="purge-personal-data", period="2026-04-01").exists()
        suggestion.refresh_from_db()
        assert suggestion.submitter_ip is None
        assert not reports_sent()  # 02:31: before the 07:00 send hour

        clock.move_to(at(2026, 4, 1, 7, 16))  # the hourly monthly job after 07:00
        scheduler()
        (message,) = reports_sent()
        assert message.to == ["truong@nghiatan.example.vn"] and "03/2026" in message.subject
        scheduler()  # the same minute again: nothing is due twice
        clock.move_to(at(2026, 4, 1, 8, 16))
        scheduler()  # the next hour's run finds March sent
        assert len(reports_sent()) == 1 and ReportDelivery.objects.count() == 1

    done = set(Success.objects.values_list("group", flat=True))
    assert {"monthly-reports", "purge-personal-data", "alerts-minute", "alerts-sweep"} <= done
    assert AuditEvent.objects.filter(action="purge_personal_data").count() == 1
    monthly = Schedule.objects.get(name="monthly-reports")
    assert monthly.success() and monthly.next_run == at(2026, 4, 1, 9, 15)


def test_the_purge_runs_once_per_night_however_often_it_is_called(tree):
    assert purge_personal_data(at(2026, 4, 1, 2, 30)) is True
    assert purge_personal_data(at(2026, 4, 1, 2, 31)) is False  # redelivered, second worker
    assert purge_personal_data(at(2026, 4, 2, 2, 30)) is True
    assert AuditEvent.objects.filter(action="purge_personal_data").count() == 2


def test_the_admin_shows_each_jobs_next_run_last_run_and_failures(client, admin_user, alice):
    Schedule.objects.filter(name="monthly-reports").update(task="x")
    client.force_login(admin_user)
    page = client.get("/admin/django_q/schedule/").content.decode()
    assert "monthly-reports" in page and "purge-personal-data" in page
    assert "Next Run" in page or "next_run" in page or "Lần chạy" in page
    assert client.get("/admin/django_q/failure/").status_code == 200
    assert client.get("/admin/scheduling/jobrun/").status_code == 200
    # Schedules are the installation's, not a delegated unit admin's; a manager with a
    # staff flag does not reach the admin at all.
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    assert client.get("/admin/django_q/schedule/").status_code == 302
    alice.memberships.update(role="admin")
    client.force_login(alice)
    assert client.get("/admin/django_q/schedule/").status_code == 403


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def _read_until(stream, pattern: str, deadline: float) -> str:
    seen = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.5)
        if ready:
            line = stream.readline()
            seen += line
            if re.search(pattern, line):
                return seen
    raise AssertionError(f"{pattern!r} not printed; output so far:\n{seen}")


def test_make_run_starts_the_job_worker_with_the_server():
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout
    assert "manage.py migrate" in dry_run  # creates the schedules on a fresh clone
    assert re.search(r"manage.py devserver \S+:\S+", dry_run)


@pytest.mark.django_db(transaction=True)
def test_the_dev_server_runs_the_worker_and_stops_it_when_it_stops(tree):
    from django_q.tasks import async_task

    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_ENV": "development"}
    env.pop("PYTEST_CURRENT_TEST", None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "devserver", "127.0.0.1:8177", "--noreload"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # As in a terminal: Ctrl-C reaches the server (a background shell would ignore it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        started = _read_until(server.stdout, r"Job worker started", time.monotonic() + 60)
        worker_pid = int(re.search(r"pid (\d+)", started)[1])
        # A task queued in the database is picked up by that worker, not by this process.
        from django_q.conf import Conf

        Conf.SYNC, was_sync = False, Conf.SYNC
        try:
            task_id = async_task("math.floor", 2.5, task_name="dev-worker-probe")
        finally:
            Conf.SYNC = was_sync
        deadline = time.monotonic() + 60
        while not Success.objects.filter(id=task_id).exists():
            assert time.monotonic() < deadline, "the worker never ran the queued task"
            time.sleep(0.5)
        assert Success.objects.get(id=task_id).result == 2
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in the terminal running `make run`
        rest = server.communicate(timeout=60)[0]
        assert f"Job worker stopped (pid {worker_pid})" in rest
        with pytest.raises(ProcessLookupError):
            os.killpg(worker_pid, 0)  # the cluster and every one of its processes
    finally:
        for group in (server.pid, locals().get("worker_pid")):
            if group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
        server.wait()
