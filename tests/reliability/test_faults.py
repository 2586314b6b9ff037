"""Nothing lost, nothing doubled: ratings through a lossy proxy (dropped connections and
HTML 404 pages in place of the app's answer), with a database restart.

A small run (1,000 ratings from 50 kiosks) here; the full 10,000 in `make chaos`.
It starts its own PostgreSQL (so restarting it disturbs nothing) and the app under
gunicorn, all on 127.0.0.1.
"""

import json
import tempfile
from pathlib import Path

import pytest

from tests import fast_db
from tests.reliability.harness import fault_run

pytestmark = [pytest.mark.chaos, pytest.mark.slow]


@pytest.fixture
def work_dir():
    # Not pytest's tmp_path: the throwaway server runs as another system user, and
    # pytest's base folder is private to root.
    with tempfile.TemporaryDirectory(prefix="onestop-chaos-", ignore_cleanup_errors=True) as path:
        yield Path(path)


@pytest.fixture
def migrated_dump(work_dir, db, django_db_blocker):
    """The suite's migrated template database as a dump (tests/fast_db.py), or None: then
    the run migrates. (`db`: so that a run of this test alone creates the template.)"""
    from django.db import connection

    dump = work_dir / "migrated.dump"
    with django_db_blocker.unblock():
        return dump if fast_db.dump_for_embedded(connection, dump) else None


def test_every_rating_is_stored_exactly_once_despite_drops_and_a_restart(work_dir, migrated_dump):
    figures = fault_run(
        work_dir,
        ratings=1000,
        kiosks=50,
        drop_rate=0.10,
        deadline_s=120,
        migrated_dump=migrated_dump,
    )
    schema = "restored from the test template" if migrated_dump else "migrated"
    print(f"\nfault run (schema {schema}):", json.dumps(figures, ensure_ascii=False))
    assert figures["ratings_sent"] == 1000
    assert figures["acknowledged"] == 1000
    assert figures["stored"] == figures["ratings_sent"]
    assert figures["lost"] == 0 and figures["doubled"] == 0 and figures["unexpected"] == 0
    assert figures["rollup_responses"] == figures["stored"]
    assert figures["answer_rollup_mismatches"] == 0
    assert figures["monthly_rollup_mismatches"] == 0
    # The faults really happened: drops on both sides of the server, and one restart.
    assert figures["dropped_before_server"] > 10
    assert figures["dropped_after_server"] > 10
    assert figures["html_404_pages"] > 10 and figures["client_errors"].get("404", 0) > 10
    assert figures["database_restarts"] == 1, figures["restart_errors"]
