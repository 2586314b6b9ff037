"""The incremental roll-ups (written with each rating) equal a rebuild from raw data."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.management.commands.rebuild_rollups import rebuild_rollups
from surveys.models import (
    AnswerRollup,
    FlagReview,
    MonthlyAnswerRollup,
    MonthlyDeskAnswerRollup,
    MonthlyDeskResponseRollup,
    MonthlyHourRollup,
    MonthlyPartialRollup,
    MonthlyResponseRollup,
    Response,
    ResponseRollup,
    UnitMonthlyAnswerRollup,
    UnitMonthlyFieldAnswerRollup,
    UnitMonthlyFieldResponseRollup,
    UnitMonthlyHourRollup,
    UnitMonthlyResponseRollup,
)

pytestmark = pytest.mark.django_db

ANSWER_KEY = ("day", "hour", "office_id", "desk_id", "staff_id", "channel", "valid", "flagged")
START = datetime(2026, 2, 27, 12, 0, tzinfo=UTC)  # around a month boundary in both zones

ratings = st.lists(
    st.fixed_dictionaries(
        {
            "office": st.sampled_from(["a", "b"]),
            "minutes": st.integers(0, 4 * 24 * 60),  # four days from START
            "with_desk": st.booleans(),
            "misuse": st.booleans(),
            "lift": st.booleans(),  # a flagged one: a manager lifts the flag afterwards
            "completed": st.booleans(),
            "channel": st.sampled_from(["kiosk", "qr", "web"]),
            "access": st.one_of(st.none(), st.integers(1, 5)),
            "officials": st.one_of(st.none(), st.integers(1, 5)),
            "greet": st.one_of(st.none(), st.integers(0, 1)),
            "reasons": st.lists(st.sampled_from(["slow", "rude"]), unique=True, max_size=2),
            "comment": st.sampled_from(["", "chậm", "=1+1"]),
        }
    ),
    max_size=12,
)


def snapshot():
    answers = sorted(
        AnswerRollup.objects.values_list(
            "day", "office_id", "desk_id", "staff_id", "question_id", "score", "choice_id", "count"
        ),
        key=repr,
    )
    responses = sorted(ResponseRollup.objects.values_list(*ANSWER_KEY), key=repr)
    monthly_answers = sorted(
        MonthlyAnswerRollup.objects.values_list(
            "month", "office_id", "question_id", "score", "choice_id", "count"
        ),
        key=repr,
    )
    monthly_responses = sorted(
        MonthlyResponseRollup.objects.values_list("month", "office_id", "valid", "flagged"),
        key=repr,
    )
    desk_answers = sorted(
        MonthlyDeskAnswerRollup.objects.values_list(
            "month",
            "office_id",
            "desk_id",
            "staff_id",
            "question_id",
            "score",
            "choice_id",
            "count",
        ),
        key=repr,
    )
    desk_responses = sorted(
        MonthlyDeskResponseRollup.objects.values_list(
            "month", "office_id", "desk_id", "staff_id", "valid", "flagged"
        ),
        key=repr,
    )
    hours = sorted(
        MonthlyHourRollup.objects.values_list(
            "month", "office_id", "desk_id", "staff_id", "weekday", "hour", "valid"
        ),
        key=repr,
    )
    partial = sorted(
        MonthlyPartialRollup.objects.values_list(
            "month", "office_id", "desk_id", "staff_id", "partial"
        ),
        key=repr,
    )
    unit_answers = sorted(
        UnitMonthlyAnswerRollup.objects.values_list(
            "month", "unit_id", "shard", "question_id", "score", "choice_id", "count"
        ),
        key=repr,
    )
    unit_responses = sorted(
        UnitMonthlyResponseRollup.objects.values_list(
            "month", "unit_id", "shard", "valid", "flagged", "partial"
        ),
        key=repr,
    )
    unit_hours = sorted(
        UnitMonthlyHourRollup.objects.values_list(
            "month", "unit_id", "shard", "weekday", "hour", "valid"
        ),
        key=repr,
    )
    unit_fields = sorted(
        UnitMonthlyFieldResponseRollup.objects.values_list(
            "month", "unit_id", "shard", "field_id", "valid", "flagged"
        ),
        key=repr,
    ) + sorted(
        UnitMonthlyFieldAnswerRollup.objects.values_list(
            "month", "unit_id", "shard", "field_id", "question_id", "score", "choice_id", "count"
        ),
        key=repr,
    )
    return (
        answers,
        responses,
        monthly_answers,
        monthly_responses,
        desk_answers,
        desk_responses,
        hours,
        unit_answers,
        unit_responses,
        unit_hours,
        unit_fields,
        partial,  # last: tests/reports/test_completion.py reads it as [-1]
    )


ROLLUP_MODELS = (
    AnswerRollup,
    ResponseRollup,
    MonthlyAnswerRollup,
    MonthlyResponseRollup,
    MonthlyDeskAnswerRollup,
    MonthlyDeskResponseRollup,
    MonthlyHourRollup,
    MonthlyPartialRollup,
    UnitMonthlyAnswerRollup,
    UnitMonthlyResponseRollup,
    UnitMonthlyHourRollup,
    UnitMonthlyFieldAnswerRollup,
    UnitMonthlyFieldResponseRollup,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=ratings, refield=st.sampled_from(["", "add", "remove", "clear", "reverse"]))
def test_incremental_rollups_equal_rebuilt_ones(tree, rate, drawn, alice, refield):
    from offices.models import ProcedureField

    FlagReview.objects.all().delete()
    Response.objects.all().delete()
    for model in ROLLUP_MODELS:
        model.objects.all().delete()
    civil, _ = ProcedureField.objects.get_or_create(code="civil", defaults={"name": "Hộ tịch"})
    land, _ = ProcedureField.objects.get_or_create(code="land", defaults={"name": "Đất đai"})
    tree.desk_a.procedure_fields.set([civil])
    # Office B in a zone with a half-hour offset, so local days and hours really differ.
    tree.office_b.time_zone = "Asia/Tehran"
    tree.office_b.save()
    for item in drawn:
        office = tree.office_a if item["office"] == "a" else tree.office_b
        answers = {k: item[k] for k in ("access", "officials", "greet") if item[k] is not None}
        if item["reasons"]:
            answers["reasons"] = item["reasons"]
        if item["comment"]:
            answers["comment"] = item["comment"]
        extra = {"desk": tree.desk_a, "staff": tree.staff_a} if item["with_desk"] else {}
        rating = rate(
            office,
            when=START + timedelta(minutes=item["minutes"]),
            misuse=item["misuse"],
            channel=item["channel"],
            completed=item["completed"],
            **extra,
            **answers,
        )
        if item["misuse"] and item["lift"]:
            rating.review_flag("lifted", by=alice, reason="a real citizen")
    # The desk's fields change after its ratings: they follow its fields of now.
    fields = tree.desk_a.procedure_fields
    if refield == "add":
        fields.add(land, civil)  # civil is there already: only land is added
    elif refield == "remove":
        fields.remove(civil, land)  # land is not there: only civil leaves
    elif refield == "clear":
        fields.clear()
    elif refield == "reverse":
        land.desks.add(tree.desk_a)
        civil.desks.remove(tree.desk_a)
    incremental = snapshot()
    assert bool(incremental[5]) == bool(incremental[1])  # the desk grain is written too
    assert bool(incremental[8]) == bool(incremental[1])  # and the unit grain
    rated_at_desk = any(item["with_desk"] for item in drawn)
    still_fielded = refield in ("", "add", "reverse")
    assert bool(incremental[10]) == (rated_at_desk and still_fielded)  # and fields
    rebuild_rollups()
    assert snapshot() == incremental


def test_rebuild_repairs_damaged_rollups_and_reports(tree, rate):
    rate(tree.office_a, access=5, officials=4)
    rate(tree.office_a, access=1, misuse=True)
    before = snapshot()
    AnswerRollup.objects.update(count=99)
    ResponseRollup.objects.all().delete()
    MonthlyAnswerRollup.objects.update(count=7)
    MonthlyDeskAnswerRollup.objects.all().delete()
    MonthlyHourRollup.objects.update(valid=3)
    UnitMonthlyAnswerRollup.objects.update(count=5)
    UnitMonthlyResponseRollup.objects.all().delete()
    UnitMonthlyHourRollup.objects.update(valid=9)
    from io import StringIO

    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert snapshot() == before
    assert "Roll-ups rebuilt" in out.getvalue()


def unit_grain(unit) -> dict:
    """{month: (valid, flagged, partial, {(question, score, choice): count})} of one unit,
    its shards summed."""
    figures: dict = {}
    for month, valid, flagged, partial in UnitMonthlyResponseRollup.objects.filter(
        unit=unit
    ).values_list("month", "valid", "flagged", "partial"):
        v, f, p, answers = figures.get(month, (0, 0, 0, {}))
        figures[month] = (v + valid, f + flagged, p + partial, answers)
    for month, question, score, choice, count in UnitMonthlyAnswerRollup.objects.filter(
        unit=unit
    ).values_list("month", "question_id", "score", "choice_id", "count"):
        answers = figures[month][3]
        answers[(question, score, choice)] = answers.get((question, score, choice), 0) + count
    return figures


def test_a_rating_counts_in_its_unit_and_every_unit_above_it(tree, rate):
    rate(tree.office_a, access=5, officials=4)
    rate(tree.office_a, access=2, misuse=True)
    rate(tree.office_b, access=4, completed=False)
    march = START.date().replace(month=3, day=1)
    for unit, expected in (
        (tree.ward_a, (1, 1, 0)),
        (tree.district_a, (1, 1, 0)),
        (tree.ward_b, (1, 0, 1)),
        (tree.city, (2, 1, 1)),
    ):
        assert unit_grain(unit)[march][:3] == expected, unit
    assert unit_grain(tree.ward_c) == {}
    access = {k: n for k, n in unit_grain(tree.city)[march][3].items() if k[1] is not None}
    assert sorted(access.values()) == [1, 1, 1]  # 5 and 4 at A, 4 at B; the flagged 2 not


def test_moving_an_office_or_a_unit_moves_its_ratings_between_units(tree, rate, alice):
    from offices.models import AdministrativeUnit, ProcedureField

    ProcedureField.objects.create(code="civil", name="Hộ tịch").desks.add(tree.desk_a)
    rate(tree.office_a, access=5, officials=4, desk=tree.desk_a, completed=False)
    flagged = rate(tree.office_a, access=1, misuse=True, desk=tree.desk_a)
    rate(tree.office_b, access=3)
    march = START.date().replace(month=3, day=1)
    tree.office_a.unit = tree.ward_b
    tree.office_a.save()
    assert tree.district_a.pk not in {
        u for u in UnitMonthlyResponseRollup.objects.values_list("unit_id", flat=True)
    }
    assert unit_grain(tree.ward_b)[march][:2] == (2, 1)
    assert unit_grain(tree.district_b)[march][:2] == (2, 1)
    assert unit_grain(tree.city)[march][:2] == (2, 1)
    flagged.review_flag("lifted", by=alice, reason="a real citizen")  # now under ward B
    assert unit_grain(tree.district_b)[march][:2] == (3, 0)
    moved = snapshot()
    assert moved[10]  # the field grain moved too
    rebuild_rollups()
    assert snapshot() == moved
    # A unit moves, its offices with it: ward B (both offices now) under district A.
    AdministrativeUnit.objects.move(
        AdministrativeUnit.objects.get(pk=tree.ward_b.pk),
        AdministrativeUnit.objects.get(pk=tree.district_a.pk),
        pos="last-child",
    )
    assert unit_grain(tree.district_a)[march][:2] == (3, 0)
    assert unit_grain(tree.district_b) == {}
    assert unit_grain(tree.city)[march][:2] == (3, 0)
    moved = snapshot()
    rebuild_rollups()
    assert snapshot() == moved


def test_the_unit_grain_sql_spells_the_tree_step_and_the_shards():
    from offices.models import AdministrativeUnit
    from surveys.models import UNIT_SHARDS

    assert AdministrativeUnit.steplen == 4 and UNIT_SHARDS == 8
