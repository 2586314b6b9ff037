"""A kiosk that moves: ratings keep the office (and desk) it belonged to when given."""

from datetime import timedelta

import pytest
from django.utils import timezone

from offices.models import KioskAssignment
from surveys.models import RefusedSubmission, Response
from tests.factories import DeskFactory
from tests.surveys.conftest import rating_payload

pytestmark = pytest.mark.django_db


def test_moving_a_kiosk_keeps_its_assignment_history(kiosk, tree):
    device = kiosk.kiosk
    first = KioskAssignment.objects.get(kiosk=device)
    assert (first.office, first.desk, first.valid_from, first.valid_until) == (
        tree.office_a,
        tree.desk_a,
        None,
        None,
    )
    device.name = "Renamed"  # not a move
    device.save()
    assert KioskAssignment.objects.filter(kiosk=device).count() == 1
    desk_b = DeskFactory(office=tree.office_b)
    device.office, device.desk = tree.office_b, desk_b
    device.save()
    old, new = KioskAssignment.objects.filter(kiosk=device).order_by("pk")
    assert old.valid_until is not None and old.valid_until == new.valid_from
    assert (new.office, new.desk, new.valid_until) == (tree.office_b, desk_b, None)
    assert device.assigned_at == new.valid_from


def test_an_admin_save_of_a_kiosk_loaded_earlier_keeps_its_heartbeat_and_misuse_state(kiosk):
    """The form's object was read before the kiosk's last heartbeat and rating: saving
    its name must not write their old values back."""
    from offices.models import Kiosk

    stale = Kiosk.objects.get(pk=kiosk.kiosk.pk)
    live = Kiosk.objects.get(pk=kiosk.kiosk.pk)
    live.seen_now(queue_length=7)
    Kiosk.objects.filter(pk=live.pk).update(live_window_count=3)
    stale.name = "Quầy 1 (sửa tên)"
    stale.save()
    fresh = Kiosk.objects.get(pk=live.pk)
    assert fresh.name == "Quầy 1 (sửa tên)"
    assert (fresh.queue_length, fresh.live_window_count) == (7, 3)
    assert fresh.last_heard_at == live.last_heard_at


def test_a_rating_queued_before_the_kiosk_moved_is_credited_to_the_old_office(
    kiosk, kiosk_version, post_rating, tree
):
    device = kiosk.kiosk
    given_before = timezone.now() - timedelta(hours=2)
    desk_b = DeskFactory(office=tree.office_b)
    device.office, device.desk = tree.office_b, desk_b
    device.save()  # moved now; the rating given two hours ago was still queued
    queued = rating_payload(
        kiosk_version, when=given_before, office=tree.office_a.pk, desk=tree.desk_a.pk
    )
    assert post_rating(kiosk.credential, queued).status_code == 201
    after = rating_payload(kiosk_version, office=tree.office_b.pk, desk=desk_b.pk)
    assert post_rating(kiosk.credential, after).status_code == 201
    offices = dict(Response.objects.values_list("id", "office_id"))
    assert {str(k): v for k, v in offices.items()} == {
        queued["id"]: tree.office_a.pk,
        after["id"]: tree.office_b.pk,
    }
    assert Response.objects.get(pk=queued["id"]).desk == tree.desk_a
    # An older page that sends no office: the history still decides.
    older_page = rating_payload(kiosk_version, when=given_before - timedelta(minutes=5))
    assert post_rating(kiosk.credential, older_page).status_code == 201
    assert Response.objects.get(pk=older_page["id"]).office == tree.office_a


def test_a_rating_naming_an_office_the_kiosk_was_not_at_is_refused_for_good(
    kiosk, kiosk_version, post_rating, tree
):
    device = kiosk.kiosk
    device.office, device.desk = tree.office_b, None
    device.save()
    # Given long after the move (past the grace for a page still showing office A).
    late = rating_payload(kiosk_version, office=tree.office_a.pk)
    device.assignments.filter(office=tree.office_a).update(
        valid_until=timezone.now() - timedelta(hours=1)
    )
    reply = post_rating(kiosk.credential, late)
    assert reply.status_code == 422
    assert (reply.json()["code"], reply.json()["final"], reply.json()["field"]) == (
        "office_mismatch",
        True,
        "office",
    )
    never_there = rating_payload(kiosk_version, office=tree.office_c.pk)
    assert post_rating(kiosk.credential, never_there).json()["code"] == "office_mismatch"
    assert not Response.objects.exists()
    assert set(RefusedSubmission.objects.values_list("code", flat=True)) == {"office_mismatch"}


def test_a_rating_from_before_the_kiosk_had_any_office_is_refused_for_good(
    kiosk, kiosk_version, post_rating, tree
):
    device = kiosk.kiosk
    device.office = tree.office_b
    device.desk = None
    device.save()
    # The history starts with the move (an imported kiosk, say): nothing covers last week.
    device.assignments.exclude(office=tree.office_b).delete()
    device.assignments.update(valid_from=timezone.now() - timedelta(days=1))
    week_ago = rating_payload(kiosk_version, when=timezone.now() - timedelta(days=7))
    reply = post_rating(kiosk.credential, week_ago)
    assert reply.status_code == 422 and reply.json()["code"] == "no_office_at_time"
    assert not Response.objects.exists()
