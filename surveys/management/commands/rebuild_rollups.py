"""Recompute the roll-up tables (daily, then the monthly grains, then the unit grain)
from the raw responses.

The roll-ups are normally kept by `Response.objects.record()` (same transaction as
each rating). Run this after repairing raw data, changing an office's time zone,
or flagging ratings as misuse after the fact:

    python manage.py rebuild_rollups

Everything happens in one transaction. The roll-up tables are locked in EXCLUSIVE
mode first: ratings arriving meanwhile wait (they do not fail) and add their
increments on top of the rebuilt rows once it commits, so none is lost or counted
twice. Days and hours are the office's local ones; misuse counts only as `flagged`.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from surveys.models import REBUILD_MONTHLY_SQL, REBUILD_UNIT_SQL

# Table names are literal (as in surveys.models.add_to_rollups): no string building.
RESPONSE_ROLLUPS_SQL = """
    INSERT INTO surveys_responserollup
        (day, hour, office_id, desk_id, staff_id, channel, valid, flagged)
    SELECT timezone(o.time_zone, r.submitted_at)::date,
           EXTRACT(HOUR FROM timezone(o.time_zone, r.submitted_at))::smallint,
           r.office_id, r.desk_id, r.staff_id, r.channel,
           COUNT(*) FILTER (WHERE NOT r.is_misuse), COUNT(*) FILTER (WHERE r.is_misuse)
    FROM surveys_response r JOIN offices_office o ON o.id = r.office_id
    GROUP BY 1, 2, 3, 4, 5, 6
"""
ANSWER_ROLLUPS_SQL = """
    INSERT INTO surveys_answerrollup
        (day, office_id, desk_id, staff_id, question_id, score, choice_id, count)
    SELECT timezone(o.time_zone, r.submitted_at)::date, r.office_id, r.desk_id, r.staff_id,
           a.question_id, a.score, a.choice_id, COUNT(*)
    FROM surveys_answer a
    JOIN surveys_response r ON r.id = a.response_id
    JOIN offices_office o ON o.id = r.office_id
    WHERE NOT r.is_misuse AND (a.score IS NOT NULL OR a.choice_id IS NOT NULL)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
"""

PARTIAL_ROLLUPS_SQL = """
    INSERT INTO surveys_monthlypartialrollup (month, office_id, desk_id, staff_id, partial)
    SELECT date_trunc('month', timezone(o.time_zone, r.submitted_at))::date,
           r.office_id, r.desk_id, r.staff_id, COUNT(*)
    FROM surveys_response r JOIN offices_office o ON o.id = r.office_id
    WHERE NOT r.is_misuse AND NOT r.completed
    GROUP BY 1, 2, 3, 4
"""


def rebuild_rollups() -> tuple[int, int]:
    """Rebuild the daily tables, then the monthly grain from them; returns the daily
    (response roll-up rows, answer roll-up rows)."""
    with transaction.atomic(), connection.cursor() as cursor:
        # In the order add_to_rollups writes them, so a rating in flight cannot deadlock.
        cursor.execute(
            "LOCK TABLE surveys_responserollup, surveys_answerrollup,"
            " surveys_monthlyresponserollup, surveys_monthlyanswerrollup,"
            " surveys_monthlydeskresponserollup, surveys_monthlydeskanswerrollup,"
            " surveys_monthlyhourrollup, surveys_monthlypartialrollup,"
            " surveys_unitmonthlyresponserollup, surveys_unitmonthlyanswerrollup,"
            " surveys_unitmonthlyhourrollup, surveys_unitmonthlyfieldresponserollup,"
            " surveys_unitmonthlyfieldanswerrollup IN EXCLUSIVE MODE"
        )
        cursor.execute("DELETE FROM surveys_responserollup")
        cursor.execute("DELETE FROM surveys_answerrollup")
        cursor.execute(RESPONSE_ROLLUPS_SQL)
        response_rows = cursor.rowcount
        cursor.execute(ANSWER_ROLLUPS_SQL)
        answer_rows = cursor.rowcount
        cursor.execute(REBUILD_MONTHLY_SQL)
        cursor.execute("DELETE FROM surveys_monthlypartialrollup")
        cursor.execute(PARTIAL_ROLLUPS_SQL)
        # Last: the unit grain sums the office-month grain (and its partial ratings).
        cursor.execute(REBUILD_UNIT_SQL, {"all": True, "units": []})
    return response_rows, answer_rows


class Command(BaseCommand):
    help = "Recompute the survey roll-up tables from raw responses (one transaction)."

    def handle(self, *args: Any, **options: Any) -> None:
        response_rows, answer_rows = rebuild_rollups()
        self.stdout.write(
            self.style.SUCCESS(
                f"Roll-ups rebuilt: {response_rows} response rows, {answer_rows} answer rows."
            )
        )
