"""A POST with no fields at all is bad input like any other: the form comes back with
what is missing (400) and nothing is stored.

`Form(request.POST or None)` left such a form unbound, since an empty QueryDict is false:
the page came back as if nothing had been sent (200, no error), or, in the dossiers
import, as a bare 400 with no message. The suggestion fuzzer found it
(`test_any_suggestion_post_is_stored_once_or_refused_with_a_reason`, every field dropped).
"""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from inspections.models import Inspection
from offices.models import CounterSession, Role
from reform.models import CriteriaSet
from suggestions.models import Suggestion
from surveys.models import Response
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def required_message() -> str:
    with translation.override("vi"):
        return gettext("This field is required.")


def assert_refused_with_what_is_missing(reply) -> None:
    assert reply.status_code == 400
    assert reply.context["form"].errors
    assert required_message() in reply.text


def test_an_empty_suggestion_post_says_what_is_missing(client, tree):
    url = reverse("suggestions:new") + f"?office={tree.office_a.pk}"

    assert_refused_with_what_is_missing(client.post(url, {}))
    assert not Suggestion.objects.exists()
    # Opening the form is still a plain page, with nothing marked missing yet.
    opened = client.get(url)
    assert opened.status_code == 200 and not opened.context["form"].errors


def test_an_empty_phone_rating_post_is_refused_and_stores_nothing(client, tree, full_version):
    # Without the page's form token there is no form to bind: the page says to open it again.
    reply = client.post(reverse("surveys:rate", args=[tree.office_a.pk]), {})

    assert reply.status_code == 400
    with translation.override("vi"):
        assert gettext("This form has expired") in reply.text
    assert not Response.objects.exists()


def test_an_empty_start_serving_post_says_what_is_missing(client, tree):
    lan = UserFactory(username="lan")
    tree.staff_a.user = lan
    tree.staff_a.save(update_fields=["user"])
    client.force_login(lan)

    assert_refused_with_what_is_missing(client.post(reverse("offices:serving"), {}))
    assert not CounterSession.objects.exists()


def test_an_empty_second_factor_code_says_what_is_missing(client, tree, settings):
    settings.REQUIRE_SECOND_FACTOR = True
    admin = UserFactory(username="admin_a")
    MembershipFactory(user=admin, unit=tree.ward_a, role=Role.ADMIN)
    client.force_login(admin)

    assert_refused_with_what_is_missing(client.post(reverse("otp_setup"), {}))
    assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_an_empty_dossier_import_says_what_is_missing(client_for, alice):
    reply = client_for(alice).post(reverse("reports:import_dossiers"), {})

    assert_refused_with_what_is_missing(reply)


def test_an_empty_inspection_post_says_what_is_missing(client_for, ivan):
    assert_refused_with_what_is_missing(client_for(ivan).post(reverse("inspections:create"), {}))
    assert not Inspection.objects.exists()


def test_an_empty_criteria_set_import_says_what_is_missing(client_for, tree):
    admin = UserFactory(username="admin_city")
    MembershipFactory(user=admin, unit=tree.city, role=Role.ADMIN)

    reply = client_for(admin).post(reverse("reform:set_import"), {})

    assert_refused_with_what_is_missing(reply)
    assert not CriteriaSet.objects.exists()
