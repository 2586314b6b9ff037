"""The admin of the question bank and of versioned surveys: frozen versions stay frozen."""

import pytest
from django.urls import reverse

from surveys.models import Question, Survey, SurveyItem, SurveyVersion
from tests.factories import make_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


def test_question_admin_creates_a_question_with_its_choices(admin, tree):
    reply = admin.post(
        reverse("admin:surveys_question_add"),
        {
            "code": "why",
            "kind": "multi",
            "factor": "",
            "text_vi": "Vì sao?",
            "text_en": "Why?",
            "text_fa": "چرا؟",
            "choices-TOTAL_FORMS": "2",
            "choices-INITIAL_FORMS": "0",
            "choices-0-position": "0",
            "choices-0-code": "slow",
            "choices-0-text_vi": "Chờ lâu",
            "choices-1-position": "1",
            "choices-1-code": "rude",
            "choices-1-text_vi": "Thiếu lịch sự",
        },
    )
    assert reply.status_code == 302, reply.text[:2000]
    question = Question.objects.get(code="why")
    assert list(question.choices.values_list("code", flat=True)) == ["slow", "rude"]
    assert admin.get(reverse("admin:surveys_question_changelist")).status_code == 200


def test_an_answered_questions_code_and_kind_are_read_only(admin, kiosk_version, tree, bank):
    url = reverse("admin:surveys_question_change", args=[bank.overall.pk])
    assert 'name="kind"' in admin.get(url).text
    make_response(kiosk_version, tree.office_a, {bank.overall: 5, bank.polite: 1})
    page = admin.get(url)
    assert 'name="kind"' not in page.text and 'name="code"' not in page.text
    # Wording too is frozen once answered: a typo goes through Question.correct_text.
    assert 'name="text_vi"' not in page.text


def test_the_version_list_shows_which_versions_are_frozen(
    admin, kiosk_version, tree, bank, django_assert_max_num_queries
):
    make_response(kiosk_version, tree.office_a, {bank.overall: 5, bank.polite: 1})
    kiosk_version.new_version()
    with django_assert_max_num_queries(12):
        page = admin.get(reverse("admin:surveys_surveyversion_changelist"))
    assert page.text.count('alt="True"') == 1 and page.text.count('alt="False"') == 1


def test_a_new_survey_starts_with_an_editable_version(admin, tree):
    reply = admin.post(
        reverse("admin:surveys_survey_add"),
        {
            "code": "cg-extra",
            "name": "Câu hỏi riêng",
            "variant": "kiosk",
            "unit": tree.district_a.pk,
            "is_active": "on",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert reply.status_code == 302, reply.text[:2000]
    survey = Survey.objects.get(code="cg-extra")
    assert survey.versions.get().number == 1
    assert admin.get(reverse("admin:surveys_survey_change", args=[survey.pk])).status_code == 200


def test_an_unfrozen_version_is_editable_with_preview_and_new_version_buttons(admin, kiosk_version):
    draft = kiosk_version.new_version()  # a draft: not yet published, so still editable
    page = admin.get(reverse("admin:surveys_surveyversion_change", args=[draft.pk]))
    assert page.status_code == 200
    assert 'name="_save"' in page.text
    assert reverse("surveys:kiosk_preview", args=[draft.pk]) in page.text
    assert "Create a new version from this one" in page.text or "Tạo phiên bản" in page.text


def test_a_frozen_version_is_read_only_in_the_admin(admin, kiosk_version, tree, bank):
    make_response(kiosk_version, tree.office_a, {bank.overall: 5, bank.polite: 1})
    url = reverse("admin:surveys_surveyversion_change", args=[kiosk_version.pk])
    page = admin.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    new_version = reverse("admin:surveys_surveyversion_new_version", args=[kiosk_version.pk])
    assert f'formaction="{new_version}"' in page.text
    # The button belongs to the change form itself: a nested <form> is dropped by browsers.
    change_form = page.text.split('id="surveyversion_form"', 1)[1].split("</form>", 1)[0]
    assert "<form" not in change_form and new_version in change_form
    # A forged POST changes nothing.
    reply = admin.post(url, {"items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"})
    assert reply.status_code == 403
    assert kiosk_version.items.count() == 3
    delete = admin.post(
        reverse("admin:surveys_surveyversion_delete", args=[kiosk_version.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert SurveyVersion.objects.filter(pk=kiosk_version.pk).exists()


def test_create_a_new_version_button_copies_a_frozen_version(admin, kiosk_version, tree, bank):
    make_response(kiosk_version, tree.office_a, {bank.overall: 5, bank.polite: 1})
    url = reverse("admin:surveys_surveyversion_new_version", args=[kiosk_version.pk])
    assert admin.get(url).status_code == 302  # only a POST creates
    assert kiosk_version.survey.versions.count() == 1
    reply = admin.post(url)
    successor = kiosk_version.survey.versions.get(number=2)
    assert successor.is_draft and not successor.is_frozen
    assert kiosk_version.survey.current_version() == kiosk_version  # drafts are not served
    assert reply["Location"] == reverse("admin:surveys_surveyversion_change", args=[successor.pk])
    assert [i.question.code for i in successor.ordered_items()] == ["overall", "polite", "comment"]
    # The copy is editable: an item can be removed through the admin's inline.
    items = list(successor.ordered_items())
    data = {
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "3",
    }
    for index, item in enumerate(items):
        data |= {
            f"items-{index}-id": item.pk,
            f"items-{index}-version": successor.pk,
            f"items-{index}-position": item.position,
            f"items-{index}-question": item.question_id,
            f"items-{index}-required": "on" if item.required else "",
        }
    data["items-2-DELETE"] = "on"
    saved = admin.post(reverse("admin:surveys_surveyversion_change", args=[successor.pk]), data)
    assert saved.status_code == 302, saved.text[:3000]
    assert SurveyItem.objects.filter(version=successor).count() == 2
    assert kiosk_version.items.count() == 3


def test_new_version_action_from_the_list(admin, kiosk_version):
    reply = admin.post(
        reverse("admin:surveys_surveyversion_changelist"),
        {"action": "create_new_version", "_selected_action": [kiosk_version.pk]},
    )
    assert reply.status_code == 302
    assert kiosk_version.survey.versions.count() == 2
    listing = admin.get(reverse("admin:surveys_surveyversion_changelist"))
    assert listing.status_code == 200


def test_responses_are_read_only_in_the_admin(admin, kiosk_version, tree, bank):
    response = make_response(kiosk_version, tree.office_a, {bank.overall: 5, bank.polite: 1})
    assert admin.get(reverse("admin:surveys_response_changelist")).status_code == 200
    page = admin.get(reverse("admin:surveys_response_change", args=[response.pk]))
    assert page.status_code == 200
    assert admin.get(reverse("admin:surveys_response_add")).status_code == 403


def test_the_admin_is_closed_to_officials(client_for, alice):
    page = client_for(alice).get(reverse("admin:surveys_question_changelist"))
    assert page.status_code == 302
