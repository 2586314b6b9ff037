"""generate_ratings: realistic synthetic data whose roll-ups are exactly what record() writes."""

from collections import Counter
from datetime import timedelta
from statistics import mean

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from bench.generate_ratings import Command
from offices.models import AdministrativeUnit, Desk, Kiosk, Office, StaffMember
from surveys.misuse import KioskState
from surveys.models import Answer, AnswerRollup, Response, ResponseRollup, rollup_rows

# The command commits chunk by chunk from its own sessions, so the test database is
# emptied after each test instead of rolled back.
pytestmark = pytest.mark.django_db(transaction=True)


def generate(**options):
    defaults = {"offices": 6, "months": 2, "ratings": 300, "seed": 3, "end_month": "2026-03"}
    call_command(Command(), **{**defaults, **options}, stdout=open("/dev/null", "w"))  # noqa: SIM115


def rollups_recomputed_with_record_rules() -> tuple[Counter, Counter]:
    """The roll-up rows record() would have written for every stored response."""
    answers = {}
    for answer in Answer.objects.all():
        answers.setdefault(answer.response_id, []).append(answer)
    response_counts, answer_counts = Counter(), Counter()
    for response in Response.objects.select_related("office"):
        response_row, answer_rows = rollup_rows(response, answers.get(response.pk, []))
        *key, valid, flagged = response_row
        response_counts[tuple(key)] += valid + flagged * 1_000_000
        for *answer_key, count in answer_rows:
            answer_counts[tuple(answer_key)] += count
    return response_counts, answer_counts


def stored_rollups() -> tuple[Counter, Counter]:
    response_counts = Counter(
        {
            (r.day, r.hour, r.office_id, r.desk_id, r.staff_id, r.channel): r.valid
            + r.flagged * 1_000_000
            for r in ResponseRollup.objects.all()
        }
    )
    answer_counts = Counter(
        {
            (
                r.day,
                r.office_id,
                r.desk_id,
                r.staff_id,
                r.question_id,
                r.score,
                r.choice_id,
            ): r.count
            for r in AnswerRollup.objects.all()
        }
    )
    return response_counts, answer_counts


def test_generates_offices_from_the_national_file_with_desks_staff_and_ratings():
    generate()
    hanoi = AdministrativeUnit.objects.get(code="01")
    offices = Office.objects.select_related("unit")
    assert offices.count() == 6
    assert all(o.unit.path.startswith(hanoi.path) for o in offices)  # Hà Nội comes first
    assert Desk.objects.count() >= 12 and StaffMember.objects.count() >= 12
    assert Response.objects.count() == 300
    assert Answer.objects.filter(score__isnull=False).count() >= 300 * 6


def test_rollups_equal_what_record_would_have_written():
    generate()
    assert stored_rollups() == rollups_recomputed_with_record_rules()
    # And each rating is marked as record() marks it: carrying a written comment or not.
    commented = set(Answer.objects.exclude(text="").values_list("response_id", flat=True))
    assert commented  # a few citizens leave one
    assert set(Response.objects.filter(has_comment=True).values_list("pk", flat=True)) == commented


def test_appending_earlier_months_adds_to_the_rollups_exactly():
    generate()
    generate(end_month="2026-01", months=2, ratings=200, seed=4)  # overlaps January
    assert Response.objects.count() == 500
    assert stored_rollups() == rollups_recomputed_with_record_rules()
    assert stored_monthly_grain() == monthly_grain_from_daily()
    assert stored_desk_grain() == desk_grain_from_daily()
    assert stored_unit_grain() == unit_grain_rebuilt()


def stored_unit_grain() -> tuple[list, list]:
    from surveys.models import UnitMonthlyAnswerRollup, UnitMonthlyResponseRollup

    responses = UnitMonthlyResponseRollup.objects.values_list(
        "month", "unit_id", "shard", "valid", "flagged", "partial"
    )
    answers = UnitMonthlyAnswerRollup.objects.values_list(
        "month", "unit_id", "shard", "question_id", "score", "choice_id", "count"
    )
    assert responses and answers
    return sorted(responses, key=repr), sorted(answers, key=repr)


def unit_grain_rebuilt() -> tuple[list, list]:
    from surveys.management.commands.rebuild_rollups import rebuild_rollups

    rebuild_rollups()
    return stored_unit_grain()


def stored_monthly_grain() -> tuple[list, list]:
    from surveys.models import MonthlyAnswerRollup, MonthlyResponseRollup

    responses = MonthlyResponseRollup.objects.values_list("month", "office_id", "valid", "flagged")
    answers = MonthlyAnswerRollup.objects.values_list(
        "month", "office_id", "question_id", "score", "choice_id", "count"
    )
    return sorted(responses, key=repr), sorted(answers, key=repr)


def stored_desk_grain() -> tuple[list, list, list]:
    from surveys.models import MonthlyDeskAnswerRollup, MonthlyDeskResponseRollup, MonthlyHourRollup

    key = ("month", "office_id", "desk_id", "staff_id")
    responses = MonthlyDeskResponseRollup.objects.values_list(*key, "valid", "flagged")
    answers = MonthlyDeskAnswerRollup.objects.values_list(
        *key, "question_id", "score", "choice_id", "count"
    )
    hours = MonthlyHourRollup.objects.values_list(*key, "weekday", "hour", "valid")
    return tuple(sorted(rows, key=repr) for rows in (responses, answers, hours))


def desk_grain_from_daily() -> tuple[list, list, list]:
    """What record()'s add_to_rollups derives for the desk grain and the hour cells."""
    from surveys.models import monthly_desk_rows

    daily_responses = ResponseRollup.objects.values_list(
        "day", "hour", "office_id", "desk_id", "staff_id", "channel", "valid", "flagged"
    )
    daily_answers = AnswerRollup.objects.values_list(
        "day", "office_id", "desk_id", "staff_id", "question_id", "score", "choice_id", "count"
    )
    rows = monthly_desk_rows(list(daily_responses), list(daily_answers))
    assert all(rows)  # every grain was written
    return tuple(sorted(r, key=repr) for r in rows)


def monthly_grain_from_daily() -> tuple[list, list]:
    """What record()'s add_to_rollups derives from the daily rows, month by month."""
    from surveys.models import monthly_rows

    daily_responses = ResponseRollup.objects.values_list(
        "day", "hour", "office_id", "desk_id", "staff_id", "channel", "valid", "flagged"
    )
    daily_answers = AnswerRollup.objects.values_list(
        "day", "office_id", "desk_id", "staff_id", "question_id", "score", "choice_id", "count"
    )
    responses, answers = monthly_rows(list(daily_responses), list(daily_answers))
    return sorted(responses, key=repr), sorted(answers, key=repr)


def test_dropped_indexes_and_keys_come_back_identical():
    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'surveys_%%' "
                "ORDER BY indexname"
            )
            return cursor.fetchall()

    before = schema()
    generate(drop_indexes="yes")
    assert schema() == before
    assert stored_rollups() == rollups_recomputed_with_record_rules()


def test_ratings_fall_in_opening_hours_with_a_morning_peak_and_differ_by_office():
    generate(ratings=600)
    responses = list(Response.objects.select_related("office"))
    assert all(r.office.is_open_at(r.submitted_at) for r in responses)
    hours = Counter(
        r.local_day() and r.submitted_at.astimezone(r.office.tz).hour for r in responses
    )
    assert hours[9] > 3 * hours[12]  # the lunch dip
    means = [
        mean(
            Answer.objects.filter(response__office=o, score__gte=1).values_list("score", flat=True)
        )
        for o in Office.objects.all()
    ]
    assert max(means) - min(means) > 0.15


SEED_WITH_BURSTS = 11  # gives this size two bursts


def test_misuse_bursts_are_stored_flagged_and_kept_out_of_answer_rollups():
    generate(offices=20, months=2, ratings=1500, seed=SEED_WITH_BURSTS)
    flagged = Response.objects.filter(is_misuse=True)
    assert flagged.exists()
    burst = flagged.first()
    same_burst = flagged.filter(office=burst.office, staff=burst.staff).order_by("submitted_at")
    gaps = [
        (b.submitted_at - a.submitted_at).total_seconds()
        for a, b in zip(same_burst, same_burst[1:], strict=False)
    ]
    assert gaps and min(gaps) < 8
    assert set(
        Answer.objects.filter(response__is_misuse=True, score__gt=1).values_list("score", flat=True)
    ) == {5}
    assert sum(ResponseRollup.objects.values_list("flagged", flat=True)) == flagged.count()


def test_each_kiosk_row_carries_the_latest_time_given_among_its_generated_ratings():
    """As every loader outside the kiosk API must (surveys/misuse.py), so that the
    benchmark's kiosks behave as kiosks in service: a live rating from one of them needs
    no neighbour look-up, as after a kiosk's first rating in production."""
    generate(offices=8, ratings=400)
    latest = dict(
        Response.objects.filter(kiosk__isnull=False)
        .values("kiosk")
        .annotate(latest=Max("submitted_at"))
        .values_list("kiosk", "latest")
    )
    assert latest, "the generator made no kiosk ratings"
    kiosks = Kiosk.objects.all()
    assert {k.pk: k.latest_rating_given_at for k in kiosks if k.pk in latest} == latest
    assert all(k.latest_rating_given_at is None for k in kiosks if k.pk not in latest)
    rated = kiosks.get(pk=next(iter(latest)))
    assert KioskState.of(rated).none_given_after(timezone.now())
    assert not KioskState.of(rated).none_given_after(latest[rated.pk] - timedelta(seconds=1))


def test_more_offices_than_the_file_holds_get_synthetic_communes(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(
        "code,name,level,parent_code\n"
        "01,Thành phố Hà Nội,province,\n00004,Phường Ba Đình,ward,01\n",
        encoding="utf-8",
    )
    generate(units=str(units), offices=3, ratings=60, months=1)
    assert sorted(AdministrativeUnit.objects.values_list("code", flat=True)) == [
        "00004",
        "01",
        "SYN00001",
        "SYN00002",
    ]
    assert Office.objects.count() == 3


def test_refuses_bad_arguments():
    with pytest.raises(CommandError):
        generate(months=0)
    with pytest.raises(CommandError):
        generate(end_month="March")
