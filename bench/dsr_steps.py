"""Steps run inside django-survey-and-report's virtualenv (see bench/dsr.py).

setup N OUT.json      a 6-question survey (5 five-level + 1 yes/no) and N responses
aggregate OUT.json    its own aggregation: Question.answers_cardinality() per question
"""

import json
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsr_site.settings")
django.setup()

from django.db import connection  # noqa: E402
from survey.models import Question, Survey  # noqa: E402

SCALE = "1,2,3,4,5"


def setup(responses: int, out: str) -> None:
    survey = Survey.objects.create(
        name="Bench",
        description="Same questions as the kiosk survey",
        need_logged_user=False,
        display_method=Survey.ALL_IN_ONE_PAGE,
        editable_answers=True,
    )
    for order in range(5):
        Question.objects.create(
            text=f"Factor {order + 1}",
            order=order,
            required=True,
            survey=survey,
            type=Question.RADIO,
            choices=SCALE,
        )
    Question.objects.create(
        text="Greeted and listened?",
        order=5,
        required=True,
        survey=survey,
        type=Question.RADIO,
        choices="yes,no",
    )
    questions = list(survey.questions.order_by("order").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # The same answer count as the project's small run, loaded in bulk (its own write
        # path is what the load test times).
        cursor.execute(
            "INSERT INTO survey_response (created, updated, survey_id, user_id, interview_uuid) "
            "SELECT now(), now(), %s, NULL, md5(g::text) FROM generate_series(1, %s) g",
            [survey.pk, responses],
        )
        cursor.execute(
            "INSERT INTO survey_answer (question_id, response_id, created, updated, body) "
            "SELECT q, r.id, now(), now(), CASE WHEN q = %s THEN "
            "(CASE WHEN random() < 0.9 THEN 'yes' ELSE 'no' END) "
            "ELSE (1 + floor(random() * 5))::int::text END "
            "FROM survey_response r CROSS JOIN unnest(%s::int[]) q WHERE r.survey_id = %s",
            [questions[-1], questions, survey.pk],
        )
        cursor.execute("ANALYZE")
    with open(out, "w") as f:
        json.dump({"survey": survey.pk, "questions": questions}, f)


def aggregate(out: str) -> None:
    survey = Survey.objects.get(name="Bench")
    questions = list(survey.questions.all())

    def run():
        return [q.answers_cardinality() for q in questions]

    run()
    times = []
    for _ in range(2):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    answers = sum(sum(c.values()) for c in result)
    with open(out, "w") as f:
        json.dump({"aggregate_ms": statistics.median(times), "counted": answers}, f)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        setup(int(sys.argv[2]), sys.argv[3])
    else:
        aggregate(sys.argv[2])
