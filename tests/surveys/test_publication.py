"""Published survey versions: drafts are never served nor accepted; publishing switches
kiosks; queued ratings against the previous version still count; only admins publish."""

import csv
import io
import time
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from offices.models import Role
from surveys.models import Response, SurveyItem
from surveys.tokens import FormToken
from surveys.views import KIOSK_COOKIE
from tests.factories import (
    MembershipFactory,
    QuestionFactory,
    UserFactory,
    make_response,
    survey_version,
)
from tests.surveys.conftest import rating_payload

pytestmark = pytest.mark.django_db


def kiosk_config(client, kiosk):
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    return client.get(reverse("surveys:kiosk")).context["screen"].config


@pytest.fixture
def draft(kiosk_version, bank):
    """Version 2 of the kiosk survey, a draft that adds a question."""
    version = kiosk_version.new_version(note="adds 'waited'")
    waited = QuestionFactory(code="waited", kind="scale5", factor="access")
    SurveyItem.objects.create(version=version, question=waited, position=9, required=True)
    return version


def test_a_draft_is_never_served_to_kiosks_or_phones(client, kiosk, kiosk_version, draft, tree):
    config = kiosk_config(client, kiosk)
    assert config["version"] == kiosk_version.pk and "waited" not in config["order"]
    assert kiosk_version.survey.current_version() == kiosk_version
    phone = client.get(reverse("surveys:rate", args=[tree.office_a.pk]))
    assert 'name="q_waited"' not in phone.text


def test_the_kiosk_preview_shows_a_draft_to_administrators(client_for, admin_user, draft):
    page = client_for(admin_user).get(reverse("surveys:kiosk_preview", args=[draft.pk]))
    assert page.status_code == 200
    assert "waited" in page.context["screen"].config["order"]


def test_a_rating_against_a_draft_is_refused_and_nothing_is_stored(kiosk, draft, post_rating):
    reply = post_rating(kiosk.credential, rating_payload(draft))
    assert reply.status_code == 422
    body = reply.json()
    assert body["code"] == "version_draft" and body["final"] is True and body["field"] == "version"
    assert "draft" in body["message"] or "nháp" in body["message"]
    assert Response.objects.count() == 0


def test_publishing_switches_the_kiosk_and_the_previous_version_is_still_accepted(
    client, kiosk, kiosk_version, draft, post_rating
):
    before = timezone.now() - timedelta(minutes=30)  # given while v1 was in force, queued
    draft.publish()
    assert kiosk_config(client, kiosk)["version"] == draft.pk  # the next start screen asks v2
    queued = rating_payload(kiosk_version, when=before)
    assert post_rating(kiosk.credential, queued).status_code == 201
    # A kiosk that has not reloaded yet still sends v1 ratings just after publication.
    late = rating_payload(kiosk_version)
    assert post_rating(kiosk.credential, late).status_code == 201
    new = rating_payload(
        draft,
        answers=[
            {"question": "overall", "value": 5},
            {"question": "polite", "value": 1},
            {"question": "waited", "value": 4},
        ],
    )
    assert post_rating(kiosk.credential, new).status_code == 201
    stored = sorted(Response.objects.values_list("survey_version__number", flat=True))
    assert stored == [1, 1, 2]


def test_a_version_replaced_long_ago_is_refused(kiosk, kiosk_version, draft, post_rating):
    draft.publish(at=timezone.now() - timedelta(days=20))
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version))
    assert reply.status_code == 422 and reply.json()["code"] == "version_superseded"
    assert Response.objects.count() == 0


def test_a_version_published_from_a_later_date_is_not_served_until_then(
    client, kiosk, kiosk_version, draft, post_rating
):
    draft.publish(at=timezone.now() + timedelta(days=1))
    assert draft.status() == "scheduled"
    assert kiosk_config(client, kiosk)["version"] == kiosk_version.pk
    reply = post_rating(kiosk.credential, rating_payload(draft))
    assert reply.status_code == 422 and reply.json()["code"] == "version_not_yet"
    assert draft.status(timezone.now() + timedelta(days=2)) == "current"


def test_a_rating_for_an_inactive_survey_or_another_variant_is_refused(
    kiosk, kiosk_version, tree, bank, post_rating
):
    full = survey_version(tree.city, [(bank.overall, True)], variant="full")
    reply = post_rating(
        kiosk.credential, rating_payload(full, answers=[{"question": "overall", "value": 4}])
    )
    assert reply.status_code == 422 and reply.json()["code"] == "other_survey"
    survey = kiosk_version.survey
    survey.is_active = False
    survey.save(update_fields=["is_active"])
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version))
    assert reply.status_code == 422 and reply.json()["code"] == "survey_inactive"
    assert Response.objects.count() == 0


def test_a_phone_form_for_a_survey_no_longer_active_is_refused_clearly(client, tree, bank):
    full = survey_version(tree.city, [(bank.overall, True)], variant="full")
    token = FormToken(uuid.uuid4(), time.time() - 30, full.pk, None, "qr").dumps()
    full.survey.is_active = False
    full.survey.save(update_fields=["is_active"])
    reply = client.post(
        reverse("surveys:rate", args=[tree.office_a.pk]), {"form_token": token, "q_overall": "4"}
    )
    assert reply.status_code == 400
    assert "expired" in reply.text or "hết hạn" in reply.text
    assert Response.objects.count() == 0


# --- Who publishes ----------------------------------------------------------------------


def publish_url(version):
    return reverse("admin:surveys_surveyversion_publish", args=[version.pk])


def test_only_an_admin_role_publishes_and_the_admin_shows_drafts_and_history(
    client, tree, kiosk_version, draft, admin_user
):
    from django.contrib.auth.models import Permission

    manager = UserFactory(username="city-manager", is_staff=True)
    manager.user_permissions.set(Permission.objects.filter(codename__endswith="surveyversion"))
    MembershipFactory(user=manager, unit=tree.city, role=Role.MANAGER)
    client.force_login(manager)
    # A manager never reaches /admin/, even with the staff flag and model permissions
    # (issue 12): the change page and the publish button send them to the log-in page.
    page = client.get(reverse("admin:surveys_surveyversion_change", args=[draft.pk]))
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert client.post(publish_url(draft)).status_code in (302, 403)
    draft.refresh_from_db()
    assert draft.is_draft

    city_admin = UserFactory(username="city-admin", is_staff=True)
    city_admin.user_permissions.set(Permission.objects.filter(codename__endswith="surveyversion"))
    MembershipFactory(user=city_admin, unit=tree.city, role=Role.ADMIN)
    client.force_login(city_admin)
    page = client.get(reverse("admin:surveys_surveyversion_change", args=[draft.pk]))
    assert publish_url(draft) in page.text
    assert client.post(publish_url(draft), {"publish_from": "bad"}).status_code == 302
    draft.refresh_from_db()
    assert draft.is_draft  # an unreadable start date publishes nothing
    assert client.post(publish_url(draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.status() == "current" and draft.published_by == city_admin
    assert client.post(publish_url(draft)).status_code == 302  # twice: refused, unchanged

    client.force_login(admin_user)
    survey_page = client.get(reverse("admin:surveys_survey_change", args=[draft.survey_id])).text
    assert "replaced by a newer version" in survey_page or "thay thế" in survey_page
    assert "in force now" in survey_page or "đang áp dụng" in survey_page


def test_last_months_report_is_identical_before_and_after_a_new_version(
    client_for, carol, tree, kiosk_version, bank, draft
):
    from common.months import Month

    last_month = Month.current(tree.office_a.tz).previous()
    when = timezone.make_aware(
        timezone.datetime.combine(last_month.start.replace(day=10), timezone.datetime.min.time())
    ) + timedelta(hours=9)
    for score in (5, 4, 2):
        make_response(
            kiosk_version, tree.office_a, {bank.overall: score, bank.polite: 1}, when=when
        )
    client = client_for(carol)
    url = reverse(
        "reports:export_tables", args=["office", tree.office_a.pk, str(last_month), "csv"]
    )

    def tables():
        return list(csv.reader(io.StringIO(b"".join(client.get(url).streaming_content).decode())))

    before = tables()
    assert any("Ông/Bà hài lòng thế nào?" in row for row in before)
    draft.publish()
    assert tables() == before
