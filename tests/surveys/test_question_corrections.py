"""A typo in an answered question's wording is fixed in the admin as an audited
correction: the meaning stays, the old wording stays visible in the history."""

import pytest
from django.urls import reverse

from offices.models import AuditEvent, Role
from surveys.models import Question
from tests.factories import MembershipFactory, QuestionFactory, UserFactory, make_response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def answered(tree, version, bank):
    make_response(version, tree.office_a, {bank["officials"]: 4})
    question = bank["officials"]
    Question.objects.filter(pk=question.pk).update(text_en="Were the oficials polite?")
    question.refresh_from_db()
    return question


def correct_url(question):
    return reverse("admin:surveys_question_correct", args=[question.pk])


def test_a_superuser_corrects_a_typo_and_the_old_wording_stays_in_the_history(
    client, admin_user, answered
):
    client.force_login(admin_user)
    change = reverse("admin:surveys_question_change", args=[answered.pk])
    assert correct_url(answered) in client.get(change).text
    reply = client.post(
        correct_url(answered),
        {"language": "en", "text": "Were the officials polite?", "reason": "spelling"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert reply.status_code == 302
    answered.refresh_from_db()
    assert answered.text_en == "Were the officials polite?"
    assert (answered.kind, answered.factor) == ("scale5", "officials")
    event = AuditEvent.objects.get(action="question.corrected")
    assert event.detail["old"] == "Were the oficials polite?"
    assert (event.username, event.ip_address) == ("admin", "10.9.9.9")
    history = client.get(change).text
    assert "Were the oficials polite?" in history and "spelling" in history


def test_the_same_wording_or_no_reason_is_refused_and_nothing_recorded(
    client, admin_user, answered
):
    client.force_login(admin_user)
    same = {"language": "en", "text": answered.text_en, "reason": "nothing"}
    assert "nothing to correct" in client.post(correct_url(answered), same).text
    no_reason = {"language": "en", "text": "Were the officials polite?", "reason": ""}
    assert client.post(correct_url(answered), no_reason).status_code == 200
    assert not AuditEvent.objects.filter(action="question.corrected").exists()


def test_a_unit_admin_reads_the_history_but_cannot_correct_the_national_bank(
    client, tree, answered
):
    admin_a = UserFactory(username="admin_a")
    MembershipFactory(user=admin_a, unit=tree.ward_a, role=Role.ADMIN)
    client.force_login(admin_a)
    change = client.get(reverse("admin:surveys_question_change", args=[answered.pk]))
    assert change.status_code == 200 and "question-corrections" in change.text
    assert correct_url(answered) not in change.text
    assert client.get(correct_url(answered)).status_code == 403
    post = {"language": "en", "text": "Changed", "reason": "mine"}
    assert client.post(correct_url(answered), post).status_code == 403
    answered.refresh_from_db()
    assert answered.text_en == "Were the oficials polite?"


def test_an_unanswered_question_is_edited_in_its_form_and_unknown_ids_are_404(client, admin_user):
    client.force_login(admin_user)
    fresh = QuestionFactory(code="fresh")
    reply = client.get(correct_url(fresh))
    assert reply.status_code == 302
    assert reply["Location"] == reverse("admin:surveys_question_change", args=[fresh.pk])
    assert client.get("/admin/surveys/question/999999/correct/").status_code == 404
