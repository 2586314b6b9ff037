"""Counter sessions: who serves at a desk, started and stopped by the one model method
that the officer's page, the kiosk PIN and the integration API all call."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from offices.models import (
    AuditEvent,
    CounterSession,
    CounterSessionError,
    SessionEnd,
    SessionStart,
)
from tests.factories import DeskFactory, StaffFactory, UserFactory

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date(), time(hour, minute), tzinfo=HANOI)


# 2026-03-02 is a Monday, 2026-03-07 a Saturday.
MONDAY, TUESDAY, SATURDAY = "2026-03-02", "2026-03-03", "2026-03-07"


@pytest.fixture
def minh(tree):
    """A second officer at desk A1."""
    return StaffFactory(office=tree.office_a, desk=tree.desk_a, full_name="Trần Văn Minh")


def test_opening_hours_default_to_weekdays_7_30_to_17_00(tree):
    office = tree.office_a
    assert (office.open_days, office.opens_at, office.closes_at) == ("12345", time(7, 30), time(17))
    assert office.is_open_at(local(MONDAY, 9))
    assert not office.is_open_at(local(MONDAY, 17, 30))
    assert not office.is_open_at(local(SATURDAY, 9))
    office.open_days = "123456"
    assert office.is_open_at(local(SATURDAY, 9))
    assert office.closing_time_on(local(SATURDAY, 9).date()) == local(SATURDAY, 17)
    office.open_days = "12345"
    assert office.closing_time_on(local(SATURDAY, 9).date()) is None


def test_opening_days_are_validated(tree):
    from django.core.exceptions import ValidationError

    office = tree.office_a
    for bad in ("", "8", "113", "12a"):
        office.open_days = bad
        with pytest.raises(ValidationError):
            office.full_clean()
    office.open_days, office.opens_at, office.closes_at = "12345", time(17), time(8)
    with pytest.raises(ValidationError):
        office.full_clean()


def test_two_officers_serve_at_one_desk_until_one_takes_it_alone(tree, minh):
    desk, lan = tree.desk_a, tree.staff_a
    desk.start_serving(lan, how=SessionStart.WEB, at=local(MONDAY, 8))
    desk.start_serving(minh, how=SessionStart.KIOSK_PIN, at=local(MONDAY, 9))
    assert desk.serving_now(local(MONDAY, 9, 30)) == [lan, minh]
    assert desk.serving_now(local(MONDAY, 8, 30)) == [lan]

    desk.start_serving(minh, how=SessionStart.API, at=local(MONDAY, 10), alone=True)
    assert desk.serving_now(local(MONDAY, 10, 30)) == [minh]
    ended = CounterSession.objects.get(staff=lan)
    assert (ended.ended_at, ended.ended_how) == (local(MONDAY, 10), SessionEnd.TAKEN_OVER)
    # Minh's session from 9:00 went on: taking the desk alone does not restart it.
    assert CounterSession.objects.filter(staff=minh).count() == 1


def test_starting_again_is_harmless_and_starting_elsewhere_moves_the_officer(tree):
    desk, lan = tree.desk_a, tree.staff_a
    other_desk = DeskFactory(office=tree.office_a, number="02", name="Địa chính")
    first = desk.start_serving(lan, how=SessionStart.WEB, at=local(MONDAY, 8))
    assert desk.start_serving(lan, how=SessionStart.WEB, at=local(MONDAY, 8, 5)) == first
    other_desk.start_serving(lan, how=SessionStart.WEB, at=local(MONDAY, 11))
    assert desk.serving_now(local(MONDAY, 11, 30)) == []
    assert other_desk.serving_now(local(MONDAY, 11, 30)) == [lan]
    first.refresh_from_db()
    assert first.ended_how == SessionEnd.MOVED


def test_a_session_ends_at_closing_time_and_is_not_shown_next_morning(tree):
    desk, lan = tree.desk_a, tree.staff_a
    session = desk.start_serving(lan, how=SessionStart.WEB, at=local(MONDAY, 15))
    assert session.closes_at == local(MONDAY, 17)
    assert desk.serving_now(local(MONDAY, 16, 59)) == [lan]
    assert desk.serving_now(local(MONDAY, 17)) == []
    assert desk.serving_now(local(TUESDAY, 8)) == []
    assert lan.current_session(local(TUESDAY, 8)) is None
    assert session.ends_at == local(MONDAY, 17)


def test_a_session_begun_after_closing_ends_at_midnight(tree):
    desk, lan = tree.desk_a, tree.staff_a
    session = desk.start_serving(lan, how=SessionStart.ADMIN, at=local(SATURDAY, 9))
    assert session.closes_at == local("2026-03-08", 0)
    late = desk.start_serving(tree.staff_a, how=SessionStart.WEB, at=local(MONDAY, 18))
    assert late.closes_at == local(TUESDAY, 0)


def test_stopping_ends_the_session_and_nobody_is_shown(tree):
    desk, lan = tree.desk_a, tree.staff_a
    desk.start_serving(lan, how=SessionStart.WEB, at=local(MONDAY, 8))
    stopped = desk.stop_serving(lan, how=SessionEnd.STOPPED, at=local(MONDAY, 12))
    assert stopped.ended_at == local(MONDAY, 12)
    assert desk.serving_now(local(MONDAY, 13)) == []
    assert desk.stop_serving(lan, how=SessionEnd.STOPPED, at=local(MONDAY, 13)) is None


def test_an_officer_cannot_serve_at_another_offices_desk(tree):
    foreign = DeskFactory(office=tree.office_b, number="09")
    with pytest.raises(CounterSessionError):
        foreign.start_serving(tree.staff_a, how=SessionStart.WEB)
    tree.staff_a.is_active = False
    with pytest.raises(CounterSessionError):
        tree.desk_a.start_serving(tree.staff_a, how=SessionStart.WEB)
    assert not CounterSession.objects.exists()


def test_a_pin_is_hashed_and_checked(tree):
    lan = tree.staff_a
    lan.set_pin("2468")
    assert "2468" not in lan.pin_hash
    assert lan.check_pin("2468") and not lan.check_pin("2469") and not lan.check_pin("")
    lan.set_pin("")
    assert not lan.check_pin("2468")


# --- The officer's page -----------------------------------------------------------------


@pytest.fixture
def lan_login(tree):
    user = UserFactory(username="lan")
    tree.staff_a.user = user
    tree.staff_a.save(update_fields=["user"])
    return user


def test_an_officer_starts_and_stops_serving_from_their_phone(client, tree, lan_login, minh):
    desk = tree.desk_a
    desk.start_serving(minh, how=SessionStart.WEB)
    client.force_login(lan_login)
    page = client.get(reverse("offices:serving"))
    assert page.status_code == 200
    assert "Nguyễn Thị Lan" in page.text and tree.desk_a.name in page.text

    started = client.post(reverse("offices:serving"), {"desk": desk.pk, "alone": "on"})
    assert started.status_code == 302
    assert desk.serving_now() == [tree.staff_a]  # Minh signed out: Lan took the desk alone
    session = CounterSession.objects.get(staff=tree.staff_a)
    assert (session.started_how, session.started_by) == (SessionStart.WEB, lan_login)
    assert AuditEvent.objects.filter(action="session.started").exists()
    shown = client.get(reverse("offices:serving")).text
    assert "Stop serving" in shown or "Dừng phục vụ" in shown

    assert client.post(reverse("offices:stop_serving")).status_code == 302
    assert desk.serving_now() == []
    session.refresh_from_db()
    assert session.ended_how == SessionEnd.STOPPED and session.ended_by == lan_login


def test_the_officer_page_refuses_a_desk_of_another_office(client, tree, lan_login):
    foreign = DeskFactory(office=tree.office_b, number="09")
    client.force_login(lan_login)
    response = client.post(reverse("offices:serving"), {"desk": foreign.pk})
    assert response.status_code == 400
    assert not CounterSession.objects.exists()


def test_a_login_that_is_not_an_officer_is_told_so(client, alice):
    client.force_login(alice)
    page = client.get(reverse("offices:serving"))
    assert page.status_code == 403
    assert "not linked to an officer" in page.text or "chưa được gắn" in page.text
    assert client.post(reverse("offices:stop_serving")).status_code == 403
    client.logout()
    assert client.get(reverse("offices:serving")).status_code == 302


# --- Admin history --------------------------------------------------------------------------


def test_admins_see_session_history_per_desk_and_officer(client, tree, admin_user, minh):
    desk = tree.desk_a
    desk.start_serving(tree.staff_a, how=SessionStart.WEB, at=local(MONDAY, 8))
    desk.start_serving(minh, how=SessionStart.KIOSK_PIN, at=local(MONDAY, 9), alone=True)
    client.force_login(admin_user)
    listing = client.get(
        reverse("admin:offices_countersession_changelist")
        + f"?desk__office__id__exact={tree.office_a.pk}"
    )
    assert listing.status_code == 200
    assert "Nguyễn Thị Lan" in listing.text and "Trần Văn Minh" in listing.text
    desk_page = client.get(reverse("admin:offices_desk_change", args=[desk.pk])).text
    assert "Trần Văn Minh" in desk_page and "Nguyễn Thị Lan" in desk_page
    officer_page = client.get(reverse("admin:offices_staffmember_change", args=[minh.pk])).text
    assert "PIN" in officer_page
    assert client.get(reverse("admin:offices_countersession_add")).status_code == 403


def test_an_admin_sets_an_officers_pin_without_seeing_it(client, tree, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:offices_staffmember_change", args=[tree.staff_a.pk])
    data = {
        "office": tree.office_a.pk,
        "desk": tree.desk_a.pk,
        "full_name": tree.staff_a.full_name,
        "title": "",
        "is_active": "on",
        "new_pin": "1357",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
    }
    assert client.post(url, data).status_code == 302
    tree.staff_a.refresh_from_db()
    assert tree.staff_a.check_pin("1357")
    assert "1357" not in client.get(url).text
    assert client.post(url, {**data, "new_pin": "12ab"}).status_code == 200  # form error
    tree.staff_a.refresh_from_db()
    assert tree.staff_a.check_pin("1357")


def test_the_open_session_is_the_one_before_closing_time(tree):
    now = timezone.now()
    session = tree.desk_a.start_serving(tree.staff_a, how=SessionStart.WEB, at=now)
    assert session.is_open_at(now) and not session.is_open_at(session.closes_at)
    assert not session.is_open_at(now - timedelta(seconds=1))


def test_an_admin_sets_opening_days_with_check_boxes(client, tree, admin_user):
    client.force_login(admin_user)
    office = tree.office_a
    url = reverse("admin:offices_office_change", args=[office.pk])
    form = client.get(url).text
    assert 'name="open_days"' in form and 'value="6"' in form
    data = {
        "unit": office.unit.pk,
        "name": office.name,
        "address": "",
        "time_zone": office.time_zone,
        "open_days": ["1", "2", "3", "4", "5", "6"],
        "opens_at": "07:30",
        "closes_at": "11:30",
        "head_email": "",
        "is_active": "on",
        "desks-TOTAL_FORMS": "0",
        "desks-INITIAL_FORMS": "0",
        "staff-TOTAL_FORMS": "0",
        "staff-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    office.refresh_from_db()
    assert (office.open_days, office.closes_at) == ("123456", time(11, 30))
