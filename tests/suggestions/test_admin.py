"""The admin lists suggestions for search and filtering; personal data is for superusers only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:suggestions_suggestion_changelist")


@pytest.fixture
def staff_a(tree):
    """A staff user of ward A allowed to view suggestions in the admin, not a superuser."""
    user = UserFactory(username="staff_a", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_suggestion"),
        Permission.objects.get(codename="view_seenstamp"),
    )
    MembershipFactory(user=user, unit=tree.ward_a, role="admin")
    return user


def test_suggestions_are_searchable_and_filterable(
    client_for, admin_user, suggestion_a, suggestion_b
):
    client = client_for(admin_user)
    page = client.get(CHANGELIST, {"q": "Máy lấy số"}).text
    assert suggestion_b.display_code in page and suggestion_a.display_code not in page
    page = client.get(CHANGELIST, {"q": suggestion_a.code}).text
    assert suggestion_a.display_code in page
    page = client.get(CHANGELIST, {"status__exact": "received"}).text
    assert suggestion_a.display_code in page and suggestion_b.display_code in page


def test_superuser_sees_contact_details(client_for, admin_user, suggestion_a):
    change = reverse("admin:suggestions_suggestion_change", args=[suggestion_a.pk])
    page = client_for(admin_user).get(change).text
    assert "0912345678" in page and "Trần Thị Mai" in page


def test_other_staff_see_no_contact_details_and_only_their_scope(
    client_for, staff_a, suggestion_a, suggestion_b
):
    client = client_for(staff_a)
    change = reverse("admin:suggestions_suggestion_change", args=[suggestion_a.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert "0912345678" not in page.text and "Trần Thị Mai" not in page.text
    assert client.get(CHANGELIST, {"q": "0912345678"}).text.count(suggestion_a.display_code) == 0
    listing = client.get(CHANGELIST).text
    assert suggestion_a.display_code in listing and suggestion_b.display_code not in listing


def test_suggestions_cannot_be_added_edited_or_deleted_in_the_admin(
    client_for, admin_user, suggestion_a
):
    client = client_for(admin_user)
    assert client.get(reverse("admin:suggestions_suggestion_add")).status_code == 403
    change = reverse("admin:suggestions_suggestion_change", args=[suggestion_a.pk])
    assert client.post(change, {"status": "closed"}).status_code == 403
    delete = reverse("admin:suggestions_suggestion_delete", args=[suggestion_a.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    suggestion_a.refresh_from_db()
    assert suggestion_a.status == "received"
