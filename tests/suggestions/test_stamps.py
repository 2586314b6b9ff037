"""A "Seen" stamp is a signature: no view, no admin page, no query can change or remove it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse

from suggestions.models import ImmutableStampError, SeenStamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def stamp(alice, suggestion_a):
    return suggestion_a.stamp_seen(alice)


def test_the_model_refuses_to_change_or_delete_a_stamp(stamp):
    stamp.role = "admin"
    with pytest.raises(ImmutableStampError):
        stamp.save()
    with pytest.raises(ImmutableStampError):
        stamp.delete()


def test_the_database_refuses_updates_and_deletes_that_bypass_the_model(stamp):
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        SeenStamp.objects.filter(pk=stamp.pk).update(role="admin")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        SeenStamp.objects.filter(pk=stamp.pk)._raw_delete(SeenStamp.objects.db)
    stamp.refresh_from_db()
    assert stamp.role == "manager"


def test_a_suggestion_with_stamps_cannot_be_deleted(stamp, suggestion_a):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        suggestion_a.delete()


def test_no_view_edits_or_removes_a_stamp(client_for, alice, stamp):
    for name in ("unstamp", "stamp_delete", "stamp_edit"):
        with pytest.raises(NoReverseMatch):
            reverse(f"suggestions:{name}", args=[stamp.pk])
    client = client_for(alice)
    # Stamping again adds nothing and changes nothing.
    client.post(reverse("suggestions:mark_seen", args=[stamp.suggestion_id]))
    assert list(SeenStamp.objects.values_list("pk", "at")) == [(stamp.pk, stamp.at)]


def test_the_admin_shows_stamps_read_only(client_for, admin_user, stamp):
    client = client_for(admin_user)
    change = reverse("admin:suggestions_seenstamp_change", args=[stamp.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="role"' not in page.text  # nothing to edit
    assert client.post(change, {"role": "admin"}).status_code == 403
    delete = reverse("admin:suggestions_seenstamp_delete", args=[stamp.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:suggestions_seenstamp_add")).status_code == 403
    bulk = client.post(
        reverse("admin:suggestions_seenstamp_changelist"),
        {"action": "delete_selected", "_selected_action": [stamp.pk], "post": "yes"},
    )
    assert bulk.status_code == 403  # an action the admin does not offer is refused
    assert SeenStamp.objects.filter(pk=stamp.pk).exists()


def test_only_a_manager_over_the_office_may_stamp(dora, bob, carol, suggestion_a):
    for official in (dora, bob, carol):
        with pytest.raises(PermissionDenied):
            suggestion_a.stamp_seen(official)
    assert not SeenStamp.objects.exists()


def test_a_superuser_stamps_as_administrator(admin_user, suggestion_a):
    stamp = suggestion_a.stamp_seen(admin_user)
    assert stamp.role == "admin"
