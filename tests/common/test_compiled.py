"""Queries compiled once per process (common.compiled): the same rows, objects and
statements as Django's compiler gives each time, with the values of each call."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from common.compiled import CompiledSelect, insert_sql, update_sql
from offices.models import Desk, Kiosk, StaffMember
from tests.factories import DeskFactory

pytestmark = pytest.mark.django_db

builds = []


def desks(desk_id, staff_id, since):
    builds.append((desk_id, staff_id, since))
    annotations = {}
    if staff_id is not None:
        annotations["staff_ok"] = Exists(
            StaffMember.objects.filter(pk=staff_id, office_id=OuterRef("office_id"))
        )
    if since is not None:
        annotations["new_kiosk"] = Exists(
            Kiosk.objects.filter(desk_id=OuterRef("pk"), created_at__gte=since)
        )
    return Desk.objects.select_related("office__unit").annotate(**annotations).filter(pk=desk_id)


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def two_desks(tree):
    Kiosk.objects.create(office=tree.office_a, desk=tree.desk_a, name="Kiosk 1")
    return tree.desk_a, DeskFactory(office=tree.office_b), tree.staff_a


def test_compiled_select_gives_what_the_queryset_gives_with_each_calls_values(two_desks):
    desk, other, staff = two_desks
    builds.clear()
    query = CompiledSelect(desks)
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    for desk_id in (desk.pk, other.pk, desk.pk):
        (found,) = query.models(desk_id=desk_id, staff_id=staff.pk, since=long_ago)
        (expected,) = desks(desk_id, staff.pk, long_ago)
        assert (found.pk, found.office.unit.name, found.staff_ok, found.new_kiosk) == (
            expected.pk,
            expected.office.unit.name,
            expected.staff_ok,
            expected.new_kiosk,
        )
    assert found.staff_ok is True and found.new_kiosk is True
    (at_other,) = query.models(desk_id=other.pk, staff_id=staff.pk, since=long_ago)
    assert at_other.staff_ok is False and at_other.new_kiosk is False
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert query.models(desk_id=desk.pk, staff_id=staff.pk, since=later)[0].new_kiosk is False
    assert query.models(desk_id=0, staff_id=staff.pk, since=later) == []
    # A None leaves a check out: another shape, compiled once too.
    (plain,) = query.models(desk_id=desk.pk, staff_id=None, since=None)
    assert plain.office == desk.office and not hasattr(plain, "staff_ok")
    query.models(desk_id=other.pk, staff_id=None, since=None)
    assert len(builds) == 3 + 2  # the three querysets above, and two compilations


def test_compiled_select_is_prepared_once_per_connection(two_desks, monkeypatch):
    desk, _other, staff = two_desks
    # Direct to PostgreSQL, whatever DB_DISABLE_SERVER_SIDE_CURSORS the run was given.
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", False)
    query = CompiledSelect(desks, prepare="test_desks")
    assert "test_desks_0" not in prepared_names()
    query.models(desk_id=desk.pk, staff_id=staff.pk, since=None)
    assert "test_desks_0" in prepared_names()
    assert query.models(desk_id=desk.pk, staff_id=staff.pk, since=None)[0].staff_ok is True


def pooled_names() -> set[str]:
    return {name for name in prepared_names() if name.startswith("test_pooled")}


def test_behind_a_pooler_the_server_connection_is_asked_in_the_same_round_trip(two_desks):
    """Behind PgBouncer in transaction mode each transaction may run on another server
    connection: the statement is PREPAREd wherever it is missing, never twice, and a
    server connection that lacks it (here: DEALLOCATE ALL) still answers the call."""
    desk, other, staff = two_desks
    pooled = CompiledSelect(desks, prepare="test_pooled")
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        with CaptureQueriesContext(connection) as sent:
            (first,) = pooled.models(desk_id=desk.pk, staff_id=staff.pk, since=None)
        assert len(sent) == 1  # the check, the PREPARE and the EXECUTE: one round trip
        assert first.pk == desk.pk and first.staff_ok is True
        (name,) = pooled_names()
        (again,) = pooled.models(desk_id=other.pk, staff_id=staff.pk, since=None)
        assert again.pk == other.pk and again.staff_ok is False  # its own values
        assert pooled_names() == {name}  # not prepared twice on one server connection
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # as a server connection that never had it
        assert pooled.models(desk_id=desk.pk, staff_id=staff.pk, since=None)[0].staff_ok
        assert pooled_names() == {name}
        # Another text is another name (a digest of the text, not a counter), so an
        # older text prepared before a deploy is never run in its place.
        pooled.models(desk_id=desk.pk, staff_id=None, since=None)
        assert len(pooled_names()) == 2
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False


def test_a_failed_prepared_call_does_not_break_the_next_one(two_desks):
    desk, _other, staff = two_desks
    query = CompiledSelect(desks, prepare="test_failing")
    with pytest.raises(DatabaseError), transaction.atomic():
        query.models(desk_id=2**70, staff_id=staff.pk, since=None)  # PREPAREd, EXECUTE fails
    assert query.models(desk_id=desk.pk, staff_id=staff.pk, since=None)[0].pk == desk.pk
    assert query.models(desk_id=desk.pk, staff_id=staff.pk, since=None)[0].pk == desk.pk


def test_insert_and_update_texts_are_djangos_with_each_calls_values(two_desks):
    desk, other, _staff = two_desks
    fields = [f for f in StaffMember._meta.local_concrete_fields if f.name != "id"]
    raw = connection.cursor().cursor
    for names in (["Lê Thị Một"], ["Trần Hai", "Phạm Ba", "Võ Bốn"], ["Đỗ Năm", "Hồ Sáu"]):
        people = [StaffMember(office=desk.office, full_name=name, title="x") for name in names]
        sql = insert_sql(raw, StaffMember, fields, people)
        with connection.cursor() as cursor:
            cursor.execute(sql)
    stored = StaffMember.objects.filter(title="x").order_by("pk")
    assert [s.full_name for s in stored] == [
        "Lê Thị Một",
        *("Trần Hai", "Phạm Ba", "Võ Bốn"),
        *("Đỗ Năm", "Hồ Sáu"),
    ]

    moment = datetime(2026, 7, 1, 8, tzinfo=UTC)
    for desk_obj, when in ((desk, moment), (other, moment + timedelta(hours=1))):
        sql = update_sql(raw, Desk, desk_obj.pk, {"name": f"Quầy {when:%H}"})
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert Desk.objects.get(pk=desk.pk).name == "Quầy 08"
    assert Desk.objects.get(pk=other.pk).name == "Quầy 09"
