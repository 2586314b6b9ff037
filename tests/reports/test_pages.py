"""Report pages: scope (grant and denial), bad input, rendering, bounded query counts."""

from datetime import datetime

import pytest
from django.urls import reverse

from offices.models import AuditEvent
from surveys.models import Answer
from tests.factories import DeskFactory, OfficeFactory, StaffFactory, make_unit
from tests.reports.conftest import HANOI

pytestmark = pytest.mark.django_db
MONTH = "2026-03"


def report_url(kind, obj, month=MONTH, name="report", **extra):
    return reverse(f"reports:{name}", kwargs={"kind": kind, "pk": obj.pk, "month": month, **extra})


@pytest.fixture
def rated(tree, rate):
    """A few ratings at ward A (with desk, staff, comment) and ward B."""
    for score in (5, 4, 4, 2):
        rate(
            tree.office_a,
            access=score,
            officials=score,
            greet=1,
            desk=tree.desk_a,
            staff=tree.staff_a,
            reasons=["slow"] if score <= 2 else [],
        )
    rate(tree.office_a, access=5, comment="Cán bộ rất nhiệt tình, cảm ơn!")
    rate(tree.office_b, access=1, comment="Ward B only")
    return tree


def test_anonymous_is_sent_to_log_in(client, rated):
    for url in [reverse("reports:dashboard"), report_url("unit", rated.ward_a)]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_ward_official_reads_own_ward_and_gets_404_for_another(client_for, alice, rated):
    client = client_for(alice)
    page = client.get(report_url("unit", rated.ward_a))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Phường Nghĩa Tân" in body and "Cán bộ rất nhiệt tình" in body
    assert "Ward B only" not in body
    for kind, obj in [
        ("unit", rated.ward_b),
        ("office", rated.office_b),
        ("unit", rated.district_a),
        ("unit", rated.city),
    ]:
        assert client.get(report_url(kind, obj)).status_code == 404


def test_district_viewer_sees_its_wards(client_for, dora, rated):
    client = client_for(dora)
    page = client.get(report_url("unit", rated.district_a))
    assert page.status_code == 200
    # Its ward by name with its figures (five valid ratings), and nothing of the other district.
    body = page.content.decode()
    assert "Phường Nghĩa Tân" in body and "Cán bộ rất nhiệt tình" in body
    assert "Mỹ Đình 1" not in body and "Ward B only" not in body
    rows = {row.label: row.summary.n for row in page.context["report"].children}
    assert rows == {"Phường Nghĩa Tân": 5}
    assert page.context["report"].summary.n == 5
    dashboard = client.get(reverse("reports:dashboard")).content.decode()
    assert "Phường Nghĩa Tân" in dashboard and "Mỹ Đình 1" not in dashboard
    assert client.get(report_url("unit", rated.ward_a)).status_code == 200
    assert client.get(report_url("office", rated.office_a)).status_code == 200
    assert client.get(report_url("desk", rated.desk_a)).status_code == 200
    assert client.get(report_url("unit", rated.ward_b)).status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "1999-12", "2999-01", "0000-01"])
def test_month_out_of_range_is_404(client_for, alice, rated, month):
    assert client_for(alice).get(report_url("unit", rated.ward_a, month)).status_code == 404


def test_unknown_unit_and_malformed_paths_are_404(client_for, alice, rated):
    client = client_for(alice)
    assert client.get(f"/reports/unit/999999/{MONTH}/").status_code == 404
    assert client.get(f"/reports/planet/{rated.ward_a.pk}/{MONTH}/").status_code == 404
    assert client.get(f"/reports/unit/{rated.ward_a.pk}/2026-3/").status_code == 404
    assert client.get("/reports/?unit=abc").status_code == 400
    assert client.get("/reports/?unit=999999").status_code == 404


def test_pick_form_redirects_or_answers_400(client_for, alice, rated):
    client = client_for(alice)
    assert client.get(reverse("reports:pick")).status_code == 200
    ok = client.get(reverse("reports:pick"), {"subject": f"unit:{rated.ward_a.pk}", "month": MONTH})
    assert ok.status_code == 302 and ok.url == report_url("unit", rated.ward_a)
    for query in [
        {"subject": f"unit:{rated.ward_b.pk}", "month": MONTH},
        {"subject": f"unit:{rated.ward_a.pk}", "month": "2026-14"},
        {"subject": "unit:x", "month": "x"},
        {"subject": "", "month": ""},
    ]:
        assert client.get(reverse("reports:pick"), query).status_code == 400


def test_dashboard_shows_the_scope_and_links_down(client_for, carol, rated):
    client = client_for(carol)
    page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Thành phố Hà Nội" in body
    assert "Quận Cầu Giấy" in body and "Phường Ba Đình" in body
    down = client.get(reverse("reports:dashboard"), {"unit": rated.district_a.pk})
    assert "Phường Nghĩa Tân" in down.content.decode()


def test_dashboard_of_a_unit_outside_scope_is_404(client_for, alice, rated):
    client = client_for(alice)
    own = client.get(reverse("reports:dashboard"))
    assert own.status_code == 200
    assert reverse("reports:import_dossiers") in own.content.decode()  # alice manages ward A
    assert client.get(reverse("reports:dashboard"), {"unit": rated.ward_b.pk}).status_code == 404


def test_staff_rows_are_hidden_below_the_minimum(client_for, alice, rated, settings):
    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 10}
    body = client_for(alice).get(report_url("office", rated.office_a)).content.decode()
    # Not listed at all, not even by name; one line counts who was left out.
    assert "Nguyễn Thị Lan" not in body and "1 more not listed: fewer than 10 ratings" in body
    staff_page = client_for(alice).get(report_url("staff", rated.staff_a)).content.decode()
    assert "shown only from 10 valid ratings" in staff_page


def test_comments_are_escaped_and_searchable(client_for, alice, tree, rate):
    rate(tree.office_a, access=5, comment="<script>alert(1)</script> chậm quá")
    rate(tree.office_a, access=5, comment="Rất hài lòng")
    client = client_for(alice)
    body = client.get(report_url("unit", tree.ward_a)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    found = client.get(report_url("unit", tree.ward_a, name="comments"), {"q": "CHẬM"})
    assert found.status_code == 200
    text = found.content.decode()
    assert "chậm quá" in text and "Rất hài lòng" not in text
    bad = client.get(report_url("unit", tree.ward_a, name="comments"), {"page": "-3"})
    assert bad.status_code == 400


def test_manager_hides_an_abusive_comment_and_it_is_audited(client_for, alice, tree, rate):
    rate(tree.office_a, access=1, comment="đồ ngốc")
    answer = Answer.objects.get(text="đồ ngốc")
    client = client_for(alice)
    url = reverse("reports:hide_comment", args=[answer.pk])
    back = report_url("unit", tree.ward_a)
    response = client.post(url, {"hidden": "on", "next": back})
    assert response.status_code == 302 and response.url == back
    answer.refresh_from_db()
    assert answer.is_hidden
    assert AuditEvent.objects.filter(action="comment_hidden", username="alice").exists()
    client.post(url, {"next": "https://evil.example/"})
    answer.refresh_from_db()
    assert not answer.is_hidden


def test_viewer_may_not_hide_and_outsider_gets_404(client_for, dora, bob, tree, rate):
    rate(tree.office_a, access=1, comment="đồ ngốc")
    answer = Answer.objects.get(text="đồ ngốc")
    url = reverse("reports:hide_comment", args=[answer.pk])
    assert client_for(dora).post(url, {"hidden": "on"}).status_code == 403
    assert client_for(bob).post(url, {"hidden": "on"}).status_code == 404
    answer.refresh_from_db()
    assert not answer.is_hidden


def test_hidden_comments_are_not_shown_to_viewers(client_for, dora, tree, rate):
    rate(tree.office_a, access=1, comment="đồ ngốc")
    Answer.objects.filter(text="đồ ngốc").update(is_hidden=True)
    body = client_for(dora).get(report_url("unit", tree.ward_a)).content.decode()
    assert "đồ ngốc" not in body


def test_method_page_is_public(client):
    page = client.get(reverse("reports:method"))
    assert page.status_code == 200
    assert "Wilson" in page.content.decode()


def _many_offices(tree, count):
    """`count` extra wards with an office, desk and staff member each, under district A."""
    offices = []
    for i in range(count):
        ward = make_unit(f"HN-CG-X{i}", f"Phường thử {i}", "ward", tree.district_a)
        office = OfficeFactory(unit=ward)
        desk = DeskFactory(office=office)
        StaffFactory(office=office, desk=desk)
        offices.append(office)
    return offices


@pytest.mark.parametrize("extra_offices", [0, 6])
def test_report_pages_make_a_bounded_number_of_queries(
    client_for, carol, tree, rate, django_assert_max_num_queries, extra_offices
):
    for office in [tree.office_a, tree.office_b, *_many_offices(tree, extra_offices)]:
        rate(office, access=4, officials=5, comment="ok")
    client = client_for(carol)
    for url in [
        reverse("reports:dashboard"),
        reverse("reports:dashboard") + f"?unit={tree.district_a.pk}",
        report_url("unit", tree.city),
        report_url("unit", tree.district_a),
        report_url("office", tree.office_a),
        report_url("desk", tree.desk_a),
        report_url("staff", tree.staff_a),
        report_url("unit", tree.city, name="comments"),
    ]:
        # Measured: 15 (dashboard) to 30 (office report, with suggestions and inspections
        # sections); the same with 0 or 6 more offices below.
        with django_assert_max_num_queries(40):
            assert client.get(url).status_code == 200


def test_day_boundary_follows_the_office_time_zone(client_for, alice, tree, rate):
    # 00:30 on 1 April in Hà Nội is 31 March in UTC: it belongs to April.
    rate(tree.office_a, access=1, when=datetime(2026, 4, 1, 0, 30, tzinfo=HANOI))
    march = client_for(alice).get(report_url("unit", tree.ward_a)).context["report"]
    april = client_for(alice).get(report_url("unit", tree.ward_a, "2026-04")).context["report"]
    assert (march.summary.n, april.summary.n) == (0, 1)


def test_report_picker_lists_units_holding_offices_then_offices_in_scope(tree, dora, carol):
    from reports.forms import subject_choices

    dora_choices = [label for _, label in subject_choices(dora)]
    assert dora_choices == ["— Quận Cầu Giấy", "— — Phường Nghĩa Tân", "⌂ Một cửa Nghĩa Tân"]
    carol_units = [label for key, label in subject_choices(carol) if key.startswith("unit:")]
    # Every unit on the way to an office, nothing else (no empty districts).
    assert carol_units == [
        "Thành phố Hà Nội",
        "— Quận Cầu Giấy",
        "— — Phường Nghĩa Tân",
        "— Quận Nam Từ Liêm",
        "— — Phường Mỹ Đình 1",
        "— Phường Ba Đình",
    ]
