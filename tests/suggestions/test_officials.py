"""Officials see the suggestions in their scope and act on them; every action is audit-logged."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from offices.models import AuditEvent
from suggestions.models import SeenStamp, Status
from tests.factories import MembershipFactory, UserFactory
from tests.suggestions.conftest import make_suggestion

pytestmark = pytest.mark.django_db
LIST = reverse("suggestions:list")


def url(name, suggestion):
    return reverse(f"suggestions:{name}", args=[suggestion.pk])


def test_list_needs_a_login(client, tree):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_alice_sees_ward_a_suggestions_and_not_ward_b(
    client_for, alice, suggestion_a, suggestion_b
):
    client = client_for(alice)
    page = client.get(LIST).text
    assert suggestion_a.display_code in page
    assert suggestion_b.display_code not in page
    assert client.get(url("detail", suggestion_a)).status_code == 200
    assert client.get(url("detail", suggestion_b)).status_code == 404


def test_carol_the_city_viewer_sees_both_wards(client_for, carol, suggestion_a, suggestion_b):
    page = client_for(carol).get(LIST).text
    assert suggestion_a.display_code in page and suggestion_b.display_code in page


def test_alice_stamps_ward_a_and_gets_404_on_ward_b(client_for, alice, suggestion_a, suggestion_b):
    client = client_for(alice)
    response = client.post(url("mark_seen", suggestion_a))
    assert response.status_code == 302
    stamp = SeenStamp.objects.get(suggestion=suggestion_a)
    assert (stamp.user, stamp.role, stamp.role_unit) == (alice, "manager", "Phường Nghĩa Tân")
    suggestion_a.refresh_from_db()
    assert suggestion_a.status == Status.SEEN and suggestion_a.first_seen_at == stamp.at
    assert AuditEvent.objects.filter(action="suggestion.seen", username="alice").count() == 1

    assert client.post(url("mark_seen", suggestion_b)).status_code == 404
    assert not SeenStamp.objects.filter(suggestion=suggestion_b).exists()


def test_dora_the_viewer_reads_ward_a_but_may_not_act(client_for, dora, suggestion_a):
    client = client_for(dora)
    page = client.get(url("detail", suggestion_a))
    assert page.status_code == 200
    assert url("mark_seen", suggestion_a) not in page.text
    assert "0912345678" not in page.text and "Trần Thị Mai" not in page.text  # viewers: no contact
    for action, data in [
        ("mark_seen", {}),
        ("reply", {"text": "Đã xem."}),
        ("assign", {"assignee": ""}),
        ("publish", {"public": "on"}),
        ("close", {}),
    ]:
        assert client.post(url(action, suggestion_a), data).status_code == 403
    suggestion_a.refresh_from_db()
    assert suggestion_a.status == Status.RECEIVED and not suggestion_a.is_public
    assert not SeenStamp.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="suggestion.").exists()


def test_manager_sees_the_citizens_contact_given_with_consent(client_for, alice, suggestion_a):
    page = client_for(alice).get(url("detail", suggestion_a)).text
    assert "0912345678" in page and "Trần Thị Mai" in page


def test_a_second_stamp_is_added_beside_the_first(client, alice, suggestion_a, tree):
    district_manager = UserFactory(username="huong", first_name="Hương", last_name="Vũ")
    MembershipFactory(user=district_manager, unit=tree.district_a, role="manager")
    client.force_login(alice)
    client.post(url("mark_seen", suggestion_a))
    client.post(url("mark_seen", suggestion_a))  # twice by the same official: still one stamp
    client.force_login(district_manager)
    client.post(url("mark_seen", suggestion_a))
    stamps = list(suggestion_a.stamps.order_by("at"))
    assert [s.user for s in stamps] == [alice, district_manager]
    assert stamps[1].role_unit == "Quận Cầu Giấy"
    suggestion_a.refresh_from_db()
    assert suggestion_a.first_seen_at == stamps[0].at


def test_reply_is_audited_stamps_an_unseen_suggestion_and_can_be_public(
    client_for, alice, suggestion_a
):
    client = client_for(alice)
    response = client.post(url("reply", suggestion_a), {"text": "Đã bổ sung ghế.", "public": "on"})
    assert response.status_code == 302
    suggestion_a.refresh_from_db()
    assert suggestion_a.status == Status.ANSWERED
    assert suggestion_a.is_public and suggestion_a.answered_at is not None
    assert suggestion_a.stamps.get().user == alice  # nobody answers unseen
    reply = suggestion_a.replies.get()
    assert reply.is_public and reply.author == alice
    actions = set(
        AuditEvent.objects.filter(action__startswith="suggestion.").values_list("action", flat=True)
    )
    assert actions == {"suggestion.seen", "suggestion.replied"}


def test_empty_reply_is_a_clear_error(client_for, alice, suggestion_a):
    response = client_for(alice).post(url("reply", suggestion_a), {"text": "   "})
    assert response.status_code == 400
    assert not suggestion_a.replies.exists()


def test_assign_only_to_a_colleague_with_a_role_over_the_office(
    client_for, alice, bob, suggestion_a, tree
):
    colleague = UserFactory(username="minh")
    MembershipFactory(user=colleague, unit=tree.ward_a, role="manager")
    client = client_for(alice)
    assert client.post(url("assign", suggestion_a), {"assignee": bob.pk}).status_code == 400
    assert client.post(url("assign", suggestion_a), {"assignee": colleague.pk}).status_code == 302
    suggestion_a.refresh_from_db()
    assert suggestion_a.assignee == colleague
    event = AuditEvent.objects.get(action="suggestion.assigned")
    assert event.detail == {"assignee": "minh"}
    mine = client_for(colleague).get(LIST, {"mine": "on"}).text
    assert suggestion_a.display_code in mine


def test_publish_and_close_are_audited_and_closed_means_closed(client_for, alice, suggestion_a):
    client = client_for(alice)
    client.post(url("publish", suggestion_a), {"public": "on"})
    suggestion_a.refresh_from_db()
    assert suggestion_a.is_public
    client.post(url("publish", suggestion_a), {"public": ""})
    suggestion_a.refresh_from_db()
    assert not suggestion_a.is_public

    assert client.post(url("close", suggestion_a)).status_code == 302
    suggestion_a.refresh_from_db()
    assert suggestion_a.status == Status.CLOSED and suggestion_a.closed_at
    assert client.post(url("reply", suggestion_a), {"text": "Muộn rồi"}).status_code == 409
    assert client.post(url("close", suggestion_a)).status_code == 409
    events = AuditEvent.objects.filter(action__startswith="suggestion.").order_by("at")
    assert list(events.values_list("action", flat=True)) == [
        "suggestion.published",
        "suggestion.unpublished",
        "suggestion.closed",
    ]


def test_actions_need_post(client_for, alice, suggestion_a):
    assert client_for(alice).get(url("mark_seen", suggestion_a)).status_code == 405


def test_list_filters_by_status_office_category_age_and_channel(client_for, carol, tree):
    old = make_suggestion(
        tree.office_a, category="fees", when=timezone.now() - timedelta(days=40), channel="qr"
    )
    new = make_suggestion(tree.office_b, category="premises", channel="kiosk")
    client = client_for(carol)

    def codes(**filters):
        page = client.get(LIST, filters)
        assert page.status_code == 200
        return {s for s in (old.display_code, new.display_code) if s in page.text}

    assert codes() == {old.display_code, new.display_code}
    assert codes(office=tree.office_a.pk) == {old.display_code}
    assert codes(category="premises") == {new.display_code}
    assert codes(age="7") == {new.display_code}
    assert codes(age="older") == {old.display_code}
    assert codes(channel="qr") == {old.display_code}
    assert codes(status="seen") == set()
    assert codes(overdue="on") == {old.display_code}


def test_filtering_by_an_office_outside_the_scope_is_refused(client_for, alice, tree):
    response = client_for(alice).get(LIST, {"office": tree.office_b.pk})
    assert response.status_code == 400


def test_overdue_suggestions_are_highlighted(client_for, alice, tree):
    late = make_suggestion(tree.office_a, when=timezone.now() - timedelta(days=10))
    fresh = make_suggestion(tree.office_a)
    page = client_for(alice).get(LIST).text
    assert page.count("sg-overdue") == 1
    assert late.overdue_reason() == "seen" and fresh.overdue_reason() == ""
    row = page.split(late.display_code)[0].rsplit("<tr", 1)[1]
    assert "sg-overdue" in row


def test_list_query_count_does_not_grow_with_suggestions(
    client_for, carol, tree, django_assert_max_num_queries
):
    for i in range(30):
        make_suggestion(tree.office_a if i % 2 else tree.office_b)
    client = client_for(carol)
    client.get(LIST)
    with django_assert_max_num_queries(10):
        client.get(LIST)


def test_the_pager_keeps_the_filters_and_changes_only_the_page(client_for, carol, tree):
    """Carol filters the city's suggestions by office and walks the pages: every page link
    keeps her filter, and names the page once."""
    for n in range(52):
        make_suggestion(tree.office_b, text=f"Góp ý số {n} về chỗ để xe.")
    make_suggestion(tree.office_a)
    client = client_for(carol)
    first = client.get(LIST, {"office": tree.office_b.pk}).text
    assert f"?office={tree.office_b.pk}&amp;page=2" in first
    second = client.get(LIST, {"office": tree.office_b.pk, "page": 2})
    assert second.status_code == 200
    links = re.findall(r'href="(\?[^"]*page=[^"]*)"', second.text)
    assert links == [f"?office={tree.office_b.pk}&amp;page=1"]  # back to page 1, filter kept
