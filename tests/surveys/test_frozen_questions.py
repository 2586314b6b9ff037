"""History never changes: an answered question's wording, kind, factor and choices are
frozen; a typo is fixed only as an audited correction."""

import pytest
from django.urls import reverse

from offices.models import AuditEvent
from surveys.models import Choice, FrozenQuestionError, Question
from tests.factories import make_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(kiosk_version, tree, bank):
    make_response(
        kiosk_version, tree.office_a, {bank.overall: 5, bank.polite: 1, bank.reasons: [bank.slow]}
    )
    return bank


def test_changing_an_answered_questions_wording_through_the_admin_is_refused(
    client_for, admin_user, answered
):
    question = answered.overall
    url = reverse("admin:surveys_question_change", args=[question.pk])
    client = client_for(admin_user)
    page = client.get(url).text
    assert 'name="text_vi"' not in page and 'name="factor"' not in page
    client.post(
        url,
        {
            "code": "overall",
            "kind": "yesno",
            "factor": "access",
            "text_vi": "Câu hỏi khác hẳn",
            "choices-TOTAL_FORMS": "0",
            "choices-INITIAL_FORMS": "0",
        },
    )
    question.refresh_from_db()
    assert (question.text_vi, question.kind, question.factor) == (
        "Ông/Bà hài lòng thế nào?",
        "scale5",
        "officials",
    )


def test_an_answered_questions_choices_cannot_change_in_the_admin_or_the_model(
    client_for, admin_user, answered
):
    page = (
        client_for(admin_user)
        .get(reverse("admin:surveys_question_change", args=[answered.reasons.pk]))
        .text
    )
    assert 'name="choices-0-text_vi"' not in page and "Chờ lâu" in page
    choice = Choice.objects.get(pk=answered.slow.pk)
    choice.text_vi = "Nghĩa khác"
    with pytest.raises(FrozenQuestionError):
        choice.save()
    with pytest.raises(FrozenQuestionError):
        choice.delete()


def test_the_model_refuses_to_change_what_an_answered_question_means(answered):
    question = Question.objects.get(pk=answered.overall.pk)
    question.factor = "access"
    with pytest.raises(FrozenQuestionError):
        question.save()
    unanswered = Question.objects.get(pk=answered.comment.pk)
    unanswered.text_vi = "Góp ý thêm"
    unanswered.save()  # never answered: still editable


def test_a_typo_is_fixed_only_as_an_audited_correction(answered, admin_user):
    question = answered.overall
    question.correct_text("en", "How satisfied were you?", by=admin_user, reason="typo")
    question.refresh_from_db()
    assert question.text_en == "How satisfied were you?" and question.kind == "scale5"
    event = AuditEvent.objects.get(action="question.corrected")
    assert event.detail["old"] == "How satisfied are you?" and event.detail["reason"] == "typo"
    with pytest.raises(ValueError):
        question.correct_text("en", "Other", by=admin_user, reason="")
