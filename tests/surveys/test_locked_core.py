"""A locked national core: a lower unit's core cannot replace it; an office extension
adds questions and both appear on the office's kiosk."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from surveys.models import Survey
from surveys.views import KIOSK_COOKIE
from tests.factories import QuestionFactory, SurveyFactory, survey_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(kiosk_version):
    survey = kiosk_version.survey
    survey.is_locked = True
    survey.save(update_fields=["is_locked"])
    return kiosk_version


def test_a_lower_level_core_cannot_replace_a_locked_core(client, kiosk, tree, bank, locked):
    attempt = SurveyFactory.build(unit=tree.district_a, variant="kiosk", code="cau-giay-core")
    with pytest.raises(ValidationError):
        attempt.full_clean()
    # Even one stored without the admin's check never shadows the locked core.
    survey_version(tree.district_a, [(bank.overall, True)], code="cau-giay-core")
    assert Survey.objects.core_for(tree.office_a, "kiosk") == locked.survey
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    config = client.get(reverse("surveys:kiosk")).context["screen"].config
    assert config["version"] == locked.pk
    assert config["order"][:3] == ["overall", "polite", "comment"]


def test_without_a_lock_the_nearest_core_applies(kiosk, tree, bank, kiosk_version):
    lower = survey_version(tree.district_a, [(bank.overall, True)], code="cau-giay-core")
    assert Survey.objects.core_for(tree.office_a, "kiosk") == lower.survey


def test_an_extension_adds_questions_and_both_appear_on_the_kiosk(client, kiosk, tree, locked):
    queue = QuestionFactory(code="queue-ok", kind="yesno", factor="access", text_vi="Xếp hàng ổn?")
    extension = survey_version(office=tree.office_a, items=[(queue, False)], code="nt-ext")
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    config = client.get(reverse("surveys:kiosk")).context["screen"].config
    assert config["version"] == locked.pk and config["extension_version"] == extension.pk
    assert config["order"] == ["overall", "polite", "comment", "queue-ok"]
