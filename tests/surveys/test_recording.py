"""The write path every channel shares: a response is stored once, with its roll-ups."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from surveys.models import (
    Answer,
    AnswerRollup,
    DossierAlreadyRated,
    FrozenVersionError,
    Response,
    ResponseRollup,
    SurveyItem,
)
from tests.factories import ChoiceFactory, QuestionFactory, make_response, survey_version

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def version(tree):
    return survey_version(
        tree.city,
        [
            QuestionFactory(code="overall"),
            QuestionFactory(code="polite", kind="yesno", factor="conduct"),
        ],
    )


def test_record_stores_response_answers_and_rollups(tree, version):
    overall, polite = (i.question for i in version.ordered_items())
    make_response(
        version, tree.office_a, {overall: 5, polite: 1}, desk=tree.desk_a, staff=tree.staff_a
    )
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 2
    rollup = AnswerRollup.objects.get(question=overall)
    assert (rollup.office, rollup.desk, rollup.staff, rollup.score, rollup.count) == (
        tree.office_a,
        tree.desk_a,
        tree.staff_a,
        5,
        1,
    )
    assert ResponseRollup.objects.get().valid == 1


def test_same_uuid_twice_is_stored_once(tree, version):
    overall = version.ordered_items()[0].question
    rating_id = uuid.uuid4()
    make_response(version, tree.office_a, {overall: 4}, id=rating_id)
    make_response(version, tree.office_a, {overall: 4}, id=rating_id)
    assert Response.objects.count() == 1
    assert AnswerRollup.objects.get().count == 1
    assert ResponseRollup.objects.get().valid == 1


def test_rollups_with_empty_desk_and_staff_accumulate_in_one_row(tree, version):
    overall = version.ordered_items()[0].question
    for _ in range(3):
        make_response(version, tree.office_a, {overall: 2})
    row = AnswerRollup.objects.get()
    assert row.desk is None and row.staff is None and row.count == 3


def test_day_and_hour_are_the_offices_local_time(tree, version):
    overall = version.ordered_items()[0].question
    # 23:30 UTC on 31 January is 06:30 on 1 February in Hà Nội.
    when = datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    make_response(version, tree.office_a, {overall: 5}, when=when)
    row = ResponseRollup.objects.get()
    assert (str(row.day), row.hour) == ("2026-02-01", 6)


def test_misuse_is_stored_and_counted_apart_from_valid_answers(tree, version):
    overall = version.ordered_items()[0].question
    make_response(version, tree.office_a, {overall: 5}, misuse=True)
    assert Response.objects.get().is_misuse
    assert not AnswerRollup.objects.exists()
    row = ResponseRollup.objects.get()
    assert (row.valid, row.flagged) == (0, 1)


def test_choices_are_rolled_up_per_choice(tree, version):
    reasons = QuestionFactory(code="reasons", kind="multi", factor="")
    slow, rude = (
        ChoiceFactory(question=reasons, code="slow"),
        ChoiceFactory(question=reasons, code="rude"),
    )
    make_response(version, tree.office_a, {reasons: [slow, rude]})
    make_response(version, tree.office_a, {reasons: [slow]})
    counts = dict(AnswerRollup.objects.values_list("choice__code", "count"))
    assert counts == {"slow": 2, "rude": 1}


def test_one_rating_per_dossier(tree, version):
    overall = version.ordered_items()[0].question
    make_response(version, tree.office_a, {overall: 5}, dossier_code="HS-001")
    with pytest.raises(DossierAlreadyRated):
        make_response(version, tree.office_a, {overall: 1}, dossier_code="HS-001")
    assert Response.objects.count() == 1
    assert AnswerRollup.objects.get().score == 5


def test_a_version_with_responses_is_frozen(tree, version):
    overall = version.ordered_items()[0].question
    make_response(version, tree.office_a, {overall: 5})
    assert version.is_frozen
    with pytest.raises(FrozenVersionError):
        SurveyItem.objects.create(version=version, question=QuestionFactory(code="new"), position=9)
    successor = version.new_version(note="add a question")
    assert successor.number == 2 and not successor.is_frozen
    assert [i.question.code for i in successor.ordered_items()] == ["overall", "polite"]
    SurveyItem.objects.create(version=successor, question=QuestionFactory(code="new"), position=9)
    assert successor.items.count() == 3 and version.items.count() == 2


def test_core_survey_nearest_above_the_office_applies(tree, version):
    from surveys.models import Survey

    assert Survey.objects.core_for(tree.office_a, "kiosk") == version.survey
    district_version = survey_version(tree.district_a, [QuestionFactory(code="district-q")])
    assert Survey.objects.core_for(tree.office_a, "kiosk") == district_version.survey
    assert Survey.objects.core_for(tree.office_b, "kiosk") == version.survey
    assert Survey.objects.core_for(tree.office_a, "full") is None


def test_monthly_grain_sums_the_days_of_a_local_month(tree, version):
    from surveys.models import MonthlyAnswerRollup, MonthlyResponseRollup

    overall = version.ordered_items()[0].question
    utc = ZoneInfo("UTC")
    # 31 Jan 16:00 UTC is still January in Hà Nội (23:00); 17:30 UTC is 1 February.
    make_response(version, tree.office_a, {overall: 5}, when=datetime(2026, 1, 31, 16, tzinfo=utc))
    make_response(
        version, tree.office_a, {overall: 5}, when=datetime(2026, 1, 31, 17, 30, tzinfo=utc)
    )
    make_response(
        version,
        tree.office_a,
        {overall: 5},
        when=datetime(2026, 2, 10, 3, tzinfo=utc),
        desk=tree.desk_a,
    )
    make_response(
        version, tree.office_a, {overall: 1}, when=datetime(2026, 2, 11, 3, tzinfo=utc), misuse=True
    )
    answers = {
        (str(m), s): n
        for m, s, n in MonthlyAnswerRollup.objects.values_list("month", "score", "count")
    }
    assert answers == {("2026-01-01", 5): 1, ("2026-02-01", 5): 2}
    responses = {
        str(m): (v, f)
        for m, v, f in MonthlyResponseRollup.objects.values_list("month", "valid", "flagged")
    }
    assert responses == {"2026-01-01": (1, 0), "2026-02-01": (2, 1)}
