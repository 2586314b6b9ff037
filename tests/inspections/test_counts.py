"""The counts the city publishes, on hand-computed cases."""

from datetime import date

import pytest
from django.urls import reverse

from common.months import add_months
from inspections.counts import build_counts, period_label, period_starts
from tests.inspections.conftest import make_case, make_inspection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def history(tree):
    """Five inspections, one before the period; four cases.

    Q1/2025: ward A city surprise (2 cases: reprimand, warning), ward A department planned
             (1 case: dismissal)
    Q2/2025: ward B district planned (no case), ward C ward-level surprise (1 case: warning)
    2024:    ward A (outside the period, 1 case)
    """
    a1 = make_inspection(
        tree.ward_a, tree.office_a, inspecting_level="city", kind="surprise", date=date(2025, 1, 10)
    )
    make_case(a1, measure="reprimand", date=date(2025, 1, 20))
    make_case(a1, measure="warning", date=date(2025, 1, 25))
    a2 = make_inspection(tree.ward_a, tree.office_a, date=date(2025, 2, 20))
    make_case(a2, measure="dismissal", date=date(2025, 3, 1))
    make_inspection(tree.ward_b, inspecting_level="district", date=date(2025, 4, 5))
    c1 = make_inspection(
        tree.ward_c, tree.office_c, inspecting_level="ward", kind="surprise", date=date(2025, 6, 30)
    )
    make_case(c1, measure="warning", date=date(2025, 7, 2))
    old = make_inspection(tree.ward_a, tree.office_a, date=date(2024, 12, 31))
    make_case(old, measure="demotion", date=date(2025, 1, 2))


def test_counts_by_quarter_and_level(carol, tree, history):
    counts = build_counts(carol, tree.city, date(2025, 1, 1), date(2025, 7, 1), "quarter")
    rows = {r.label: (r.total, r.level_counts, r.surprise, r.cases) for r in counts.by_period}
    # level_counts order: city team, department, district, ward
    assert rows == {
        "Q1/2025": (2, [1, 1, 0, 0], 1, 3),
        "Q2/2025": (2, [0, 0, 1, 1], 1, 1),
    }
    assert (counts.total.total, counts.total.surprise, counts.total.cases) == (4, 2, 4)
    assert counts.total.level_counts == [1, 1, 1, 1]


def test_counts_by_unit_sum_each_subtree(carol, tree, history):
    counts = build_counts(carol, tree.city, date(2025, 1, 1), date(2025, 7, 1), "year")
    rows = {r.label: (r.total, r.cases) for r in counts.by_unit}
    assert rows == {
        "Quận Cầu Giấy": (2, 3),
        "Quận Nam Từ Liêm": (1, 0),
        "Phường Ba Đình": (1, 1),
    }
    assert counts.quiet_units == 0
    assert [r.label for r in counts.by_period] == ["2025"]


def test_counts_by_unit_show_the_unit_itself_and_its_quiet_children(carol, tree):
    make_inspection(tree.district_a, inspecting_level="city", date=date(2025, 5, 5))
    counts = build_counts(carol, tree.district_a, date(2025, 1, 1), date(2026, 1, 1), "year")
    assert [(r.label, r.total) for r in counts.by_unit] == [("Quận Cầu Giấy (the unit itself)", 1)]
    assert counts.quiet_units == 1  # ward A had none


def test_cases_by_measure(carol, tree, history):
    counts = build_counts(carol, tree.city, date(2025, 1, 1), date(2025, 7, 1), "quarter")
    assert {code: n for code, _label, n in counts.by_measure} == {
        "reprimand": 1,
        "warning": 2,
        "demotion": 0,  # its inspection was in 2024
        "dismissal": 1,
        "other": 0,
    }


def test_an_official_counts_only_their_subtree(alice, tree, history):
    counts = build_counts(alice, tree.ward_a, date(2025, 1, 1), date(2025, 7, 1), "quarter")
    assert (counts.total.total, counts.total.cases) == (2, 3)


def test_months_are_filled_even_without_inspections(carol, tree, history):
    counts = build_counts(carol, tree.city, date(2025, 1, 1), date(2025, 4, 1), "month")
    assert [(r.label, r.total) for r in counts.by_period] == [
        ("01/2025", 1),
        ("02/2025", 1),
        ("03/2025", 0),
    ]


def test_period_helpers():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    starts = period_starts(date(2025, 2, 14), date(2025, 8, 1), "quarter")
    assert starts == [date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1)]
    assert period_label(date(2025, 7, 1), "year") == "2025"


def test_report_page_shows_the_counts_with_bounded_queries(
    client_for, carol, tree, history, django_assert_max_num_queries
):
    client = client_for(carol)
    url = reverse("inspections:report")
    params = {"unit": tree.city.pk, "date_from": "2025-01-01", "date_to": "2025-06-30"}
    with django_assert_max_num_queries(16):  # constant: no query per row
        page = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    counts = page.context["counts"]
    assert counts.total.total == 4 and counts.total.cases == 4
    html = page.text
    assert "Q2/2025" in html and "Quận Nam Từ Liêm" in html


def test_report_defaults_to_the_officials_own_unit(client_for, alice, tree, history):
    page = client_for(alice).get(reverse("inspections:report"), {"date_from": "2025-01-01"})
    assert page.status_code == 200
    assert page.context["counts"].unit == tree.ward_a


def test_report_refuses_a_unit_outside_scope_and_bad_periods(client_for, alice, tree):
    client = client_for(alice)
    url = reverse("inspections:report")
    assert client.get(url, {"unit": tree.ward_b.pk}).status_code == 400
    assert client.get(url, {"unit": "x"}).status_code == 400
    assert client.get(url, {"date_from": "2025-05-01", "date_to": "2025-01-01"}).status_code == 400
    assert client.get(url, {"date_from": "0001-01-01"}).status_code == 400
    assert client.get(url, {"group": "decade"}).status_code == 400


def test_register_filters(client_for, carol, tree, history):
    client = client_for(carol)
    url = reverse("inspections:register")

    def listed(**params):
        page = client.get(url, params)
        assert page.status_code == 200
        return sorted(i.date.isoformat() for i in page.context["page"])

    assert listed(level="city") == ["2025-01-10"]
    assert listed(kind="surprise") == ["2025-01-10", "2025-06-30"]
    assert listed(date_from="2025-02-01", date_to="2025-06-30") == [
        "2025-02-20",
        "2025-04-05",
        "2025-06-30",
    ]
    assert listed(unit=tree.district_a.pk) == ["2024-12-31", "2025-01-10", "2025-02-20"]
    assert client.get(url, {"date_from": "2025-06-01", "date_to": "2025-01-01"}).status_code == 400
    assert client.get(url, {"unit": 999999}).status_code == 400


def test_register_refuses_a_unit_filter_outside_scope(client_for, alice, tree, history):
    page = client_for(alice).get(reverse("inspections:register"), {"unit": tree.ward_b.pk})
    assert page.status_code == 400
    assert page.context["page"].paginator.count == 0


def test_register_page_makes_a_fixed_number_of_queries(
    client_for, carol, tree, django_assert_max_num_queries
):
    for day in range(1, 29):
        inspection = make_inspection(tree.ward_a, tree.office_a, date=date(2025, 2, day))
        make_case(inspection)
    client = client_for(carol)
    with django_assert_max_num_queries(12):  # constant: no query per row
        page = client.get(reverse("inspections:register"))
    assert page.context["page"].paginator.count == 28
