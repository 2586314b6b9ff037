"""The validation rules shared by every channel, and the demo surveys."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from offices.models import Kiosk
from surveys.models import Question, Survey
from surveys.submission import (
    SubmissionError,
    build_answers,
    clamp_times,
    load_spec,
    too_fast,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_times_within_the_offline_window_are_kept():
    started, submitted = NOW - timedelta(days=2, seconds=30), NOW - timedelta(days=2)
    assert clamp_times(started, submitted, NOW) == (started, submitted)


def test_a_clock_a_little_ahead_is_tolerated_but_not_a_day_ahead():
    ahead = NOW + timedelta(minutes=3)
    assert clamp_times(None, ahead, NOW) == (None, ahead)
    started, submitted = clamp_times(
        NOW + timedelta(days=1) - timedelta(seconds=15), NOW + timedelta(days=1), NOW
    )
    assert (started, submitted) == (NOW - timedelta(seconds=15), NOW)


def test_a_start_after_the_submission_is_pulled_back():
    assert clamp_times(NOW, NOW - timedelta(seconds=5), NOW) == (
        NOW - timedelta(seconds=5),
        NOW - timedelta(seconds=5),
    )


def test_too_fast_depends_on_the_number_of_answers():
    assert too_fast(NOW - timedelta(seconds=0.5), NOW, 1) == 0.5
    assert too_fast(NOW - timedelta(seconds=2), NOW, 3) is None
    assert too_fast(NOW - timedelta(seconds=2), NOW, 5) == 2.0
    assert too_fast(None, NOW, 5) is None


@pytest.mark.django_db
def test_build_answers_accepts_every_kind_and_skips_blanks(kiosk_version, bank):
    spec = load_spec(kiosk_version.pk)
    answers = build_answers(
        [spec],
        {"overall": 1, "polite": False, "reasons": ["rude"], "comment": "   "},
    )
    assert [(a.question_id, a.score, a.choice_id, a.text) for a in answers] == [
        (bank.overall.pk, 1, None, ""),
        (bank.polite.pk, 0, None, ""),
        (bank.reasons.pk, None, bank.rude.pk, ""),
    ]


@pytest.mark.django_db
def test_build_answers_names_the_question_that_is_wrong(kiosk_version):
    spec = load_spec(kiosk_version.pk)
    with pytest.raises(SubmissionError) as error:
        build_answers([spec], {"overall": 3, "polite": 7}, "en")
    assert error.value.field == "polite" and error.value.status == 422


@pytest.mark.django_db
def test_a_version_spec_knows_its_reasons_question_and_where_it_applies(kiosk_version, tree, bank):
    spec = load_spec(kiosk_version.pk)
    assert spec.order == ("overall", "polite", "comment")
    assert not spec.questions["reasons"].is_item
    assert [c.code for c in spec.questions["reasons"].choices] == ["slow", "rude"]
    assert spec.applies_to(tree.office_a) and spec.applies_to(tree.office_c)
    assert load_spec(999999) is None


@pytest.mark.django_db
def test_demo_surveys_load_idempotently_and_print_a_working_enrolment_link(client):
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo_surveys", "--base-url", "http://127.0.0.1:8101", stdout=out)
    counts = (Question.objects.count(), Survey.objects.count(), Kiosk.objects.count())
    again = io.StringIO()
    call_command("load_demo_surveys", stdout=again)
    assert (Question.objects.count(), Survey.objects.count(), Kiosk.objects.count()) == counts
    assert counts == (16, 2, 6)
    assert all(s.versions.count() == 1 for s in Survey.objects.all())

    kiosk_survey = Survey.objects.get(code="hn-core-kiosk")
    assert 3 <= kiosk_survey.current_version().items.count() <= 5
    for question in Question.objects.all():
        assert question.text_vi and question.text_en and question.text_fa
    reasons = Question.objects.get(code="reasons")
    assert reasons.choices.count() == 6

    # The first link was replaced by the second run's; the latest one enrols the kiosk.
    first = re.search(r"http://127\.0\.0\.1:8101/kiosk/enrol/([\w-]+)/", out.getvalue())
    latest = re.search(
        r"Demo kiosk \(Nghĩa Tân\): http://127\.0\.0\.1:8000/kiosk/enrol/([\w-]+)/",
        again.getvalue(),
    )
    assert first and latest
    assert Kiosk.enrol(first.group(1)) is None
    kiosk, _credential = Kiosk.enrol(latest.group(1))
    assert kiosk.office.unit.code == "HN-CG-NT" and kiosk.desk.number == "01"
