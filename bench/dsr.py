"""django-survey-and-report, given the same number of answers: submission and aggregation.

Installs django-survey-and-report==1.5.0 from PyPI into bench/.venv-dsr (git-ignored),
wraps it in the minimal project bench/dsr_site, loads as many answers as the project's
small run into a database of the benchmark's server, then times:

* its answer submission: anonymous POSTs of its survey form under gunicorn (same workers,
  same wrk settings as the kiosk test), against an empty POST view in the same gunicorn;
* its results aggregation: Question.answers_cardinality() for every question (what its
  PDF/LaTeX report draws its charts from; its web "result" is a raw CSV export).
"""

# ruff: noqa: S603, S607 — runs fixed local programs (pip, gunicorn, wrk)

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.pgcluster import Cluster

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv-dsr"
VERSION = "1.5.0"
PORT = 8151
GUNICORN_THREADS = ["--worker-class", "gthread", "--threads", os.environ.get("BENCH_THREADS", "4")]


def ensure_venv() -> None:
    if (VENV / "bin" / "gunicorn").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [
            str(VENV / "bin" / "pip"),
            "install",
            "-q",
            f"django-survey-and-report=={VERSION}",
            "psycopg2-binary",
            "gunicorn",
        ],
        check=True,
    )


def _env(cluster: Cluster, secret: str) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "bench"),
        "DJANGO_SETTINGS_MODULE": "dsr_site.settings",
        "SECRET_KEY": secret,
        "DSR_DB_NAME": "dsr",
        "DSR_DB_HOST": str(cluster.data_dir),
        "PYTHONWARNINGS": "ignore",
    }


def _python(env: dict, *args: str, timeout: float = 1800) -> None:
    subprocess.run(
        [str(VENV / "bin" / "python"), *args],
        env=env,
        check=True,
        timeout=timeout,
        capture_output=True,
        cwd=ROOT / "bench",
    )


def _wrk(path: str, seconds: int, connections: int, env: dict, think_ms: int = 0) -> dict:
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            "bench/dsr.lua",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        env={**env, "THINK_MS": str(think_ms)},
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
        cwd=ROOT,
    ).stdout
    data = json.loads(re.search(r"WRKJSON (.*)", output).group(1))
    data["rps"] = data["requests"] / data["seconds"]
    return data


def measure(
    cluster: Cluster, answers: int, seconds: int = 20, connections: int = 100, workers: int = 4
) -> dict:
    try:
        ensure_venv()
    except (OSError, subprocess.SubprocessError) as exc:
        return {"error": f"cannot install django-survey-and-report {VERSION}: {exc}"}
    out = ROOT / "bench" / "out"
    secret = "dsr-bench-" + os.urandom(24).hex()
    env = _env(cluster, secret)
    cluster.psql("DROP DATABASE IF EXISTS dsr")
    cluster.psql("CREATE DATABASE dsr")
    _python(env, "-m", "django", "migrate", "--noinput", "-v0")
    responses = answers // 6
    _python(env, "dsr_steps.py", "setup", str(responses), str(out / "dsr-setup.json"))
    setup = json.loads((out / "dsr-setup.json").read_text())
    _python(env, "dsr_steps.py", "aggregate", str(out / "dsr-aggregate.json"))
    aggregate = json.loads((out / "dsr-aggregate.json").read_text())
    result = {"version": VERSION, "responses": responses, "answers": responses * 6, **aggregate}
    result["aggregation_label"] = "answers_cardinality() of its 6 questions"
    gunicorn = subprocess.Popen(
        [
            str(VENV / "bin" / "gunicorn"),
            "dsr_site.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            *GUNICORN_THREADS,
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT / "bench",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/survey/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        wrk_env = {**os.environ, "QUESTIONS": ",".join(map(str, setup["questions"]))}
        form = f"/survey/{setup['survey']}/"
        for name, path in (("empty", "/bench/empty/"), ("submit", form)):
            _wrk(path, 3, connections, wrk_env)
            result[name] = _wrk(path, seconds, connections, wrk_env)
            result[f"{name}_paced"] = _wrk(path, seconds, connections, wrk_env, think_ms=1000)
    finally:
        gunicorn.terminate()
        gunicorn.wait(30)
    stored = cluster.psql("SELECT count(*) FROM survey_response", database="dsr")
    result["stored_after"] = int(stored)
    redirects = result["submit"]["statuses"].get("302", 0)
    result["note"] = (
        f"Its submissions answer 302 (redirect to the confirmation page) when stored: "
        f"{redirects:,} in the saturated run. Each also writes a session row, as its view "
        "keeps the answers in the session."
    )
    return result
