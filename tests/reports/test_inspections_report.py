"""Satisfaction before and after inspections (reports/before_after.py) and the monthly
section. Ratings are recorded through the real write path (tests/factories.py)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from common.months import Month
from inspections.models import DisciplinaryCase, Inspection
from reports.before_after import before_after_rows, monthly_section, windows
from tests.factories import QuestionFactory, make_response, survey_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def rated(tree):
    """rated(office, score, day, times=1): `times` ratings of `score` on every SIPAS factor."""
    questions = [
        QuestionFactory(code=f"ba-{factor}", factor=factor)
        for factor in ("access", "procedures", "officials", "results")
    ]
    version = survey_version(tree.city, questions)

    def record(office, score: int, day: date, times: int = 1):
        when = datetime(day.year, day.month, day.day, 9, 30, tzinfo=HANOI)
        for _ in range(times):
            make_response(version, office, {q: score for q in questions}, when=when)

    return record


def inspect(unit, office=None, day=date(2026, 5, 14), **fields):
    return Inspection.objects.create(
        unit=office.unit if office else unit,
        office=office,
        inspecting_body=fields.pop("inspecting_body", "Thanh tra Sở Nội vụ"),
        inspecting_level=fields.pop("inspecting_level", "department"),
        kind=fields.pop("kind", "surprise"),
        date=day,
        scope="Thái độ phục vụ",
        **fields,
    )


def test_windows_are_the_three_whole_months_each_side():
    before, after = windows(date(2026, 1, 20))
    assert [str(m) for m in before] == ["2025-10", "2025-11", "2025-12"]
    assert [str(m) for m in after] == ["2026-02", "2026-03", "2026-04"]


def test_too_few_ratings_is_shown_as_not_significant(client_for, alice, tree, rated):
    inspection = inspect(tree.ward_a, tree.office_a)
    rated(tree.office_a, 2, date(2026, 3, 2), times=3)  # before: 0 % satisfied
    rated(tree.office_a, 5, date(2026, 7, 9), times=3)  # after: 100 % satisfied
    [row] = before_after_rows([inspection], today=date(2026, 9, 1))
    assert (row.before.n, row.after.n) == (3, 3)
    assert (row.before.overall, row.after.overall) == (0.0, 1.0)
    assert row.before.small_sample and not row.significant
    assert row.verdict == "not_significant" and row.reason == "too few ratings"
    page = client_for(alice).get(
        reverse("reports:inspections"),
        {"date_from": "2026-01-01", "date_to": "2026-06-30"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    assert "Not significant" in page.text and "too few ratings" in page.text


def test_a_clear_change_with_enough_ratings_is_significant(tree, rated, settings):
    settings.SURVEY = {**settings.SURVEY, "SMALL_SAMPLE_N": 10}
    inspection = inspect(tree.ward_a, tree.office_a)
    rated(tree.office_a, 2, date(2026, 4, 30), times=10)
    rated(tree.office_a, 5, date(2026, 6, 1), times=10)
    [row] = before_after_rows([inspection], today=date(2026, 9, 1))
    assert row.significant and row.verdict == "up" and row.change == 1.0
    assert row.after_complete


def test_overlapping_intervals_are_not_significant(tree, rated, settings):
    settings.SURVEY = {**settings.SURVEY, "SMALL_SAMPLE_N": 10}
    inspection = inspect(tree.ward_a, tree.office_a)
    for score, times in ((5, 7), (2, 3)):  # before 70 %
        rated(tree.office_a, score, date(2026, 3, 10), times=times)
    for score, times in ((5, 8), (2, 2)):  # after 80 %
        rated(tree.office_a, score, date(2026, 7, 10), times=times)
    [row] = before_after_rows([inspection], today=date(2026, 9, 1))
    assert row.change == pytest.approx(0.1)
    assert not row.significant and row.reason == "the intervals overlap"


def test_the_inspection_month_and_outer_months_are_left_out(tree, rated):
    inspection = inspect(tree.ward_a, tree.office_a, day=date(2026, 5, 14))
    rated(tree.office_a, 5, date(2026, 5, 1))  # the inspection's own month
    rated(tree.office_a, 5, date(2026, 1, 31))  # four months before
    rated(tree.office_a, 5, date(2026, 9, 1))  # four months after
    rated(tree.office_a, 4, date(2026, 2, 1))  # first day of "before"
    rated(tree.office_a, 1, date(2026, 8, 31))  # last day of "after"
    rated(tree.office_b, 5, date(2026, 3, 1))  # another office
    [row] = before_after_rows([inspection], today=date(2026, 10, 1))
    assert (row.before.n, row.after.n) == (1, 1)
    assert (row.before.overall, row.after.overall) == (1.0, 0.0)
    assert (row.before_span, row.after_span) == ("02/2026–04/2026", "06/2026–08/2026")


def test_a_unit_inspection_is_judged_on_the_units_offices(tree, rated):
    inspection = inspect(tree.ward_c)  # no office: ward C's own office counts
    rated(tree.office_c, 5, date(2026, 3, 3), times=2)
    rated(tree.office_a, 1, date(2026, 3, 3))
    [row] = before_after_rows([inspection], today=date(2026, 9, 1))
    assert row.office_ids == [tree.office_c.pk] and row.before.n == 2


def test_after_window_not_over_yet_is_marked(tree, rated):
    inspection = inspect(tree.ward_a, tree.office_a, day=date(2026, 5, 14))
    [row] = before_after_rows([inspection], today=date(2026, 7, 15))
    assert not row.after_complete
    assert row.verdict == "not_significant"


def test_rows_cost_a_fixed_number_of_queries(tree, rated, django_assert_max_num_queries):
    inspections = [
        inspect(tree.ward_a, tree.office_a, day=date(2026, m, 5)) for m in range(1, 10)
    ] + [inspect(tree.ward_c, day=date(2026, 2, 2)), inspect(tree.ward_b, day=date(2026, 4, 4))]
    rated(tree.office_a, 4, date(2026, 3, 3), times=2)
    with django_assert_max_num_queries(3):
        rows = before_after_rows(inspections, today=date(2026, 11, 1))
    assert len(rows) == 11


def test_page_is_scoped_to_the_officials_units(client_for, alice, bob, tree, rated):
    inspect(tree.ward_a, tree.office_a, inspecting_body="Đoàn kiểm tra A")
    inspect(tree.ward_b, tree.office_b, inspecting_body="Đoàn kiểm tra B")
    url = reverse("reports:inspections")
    period = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
    html = client_for(alice).get(url, period).text
    assert "Đoàn kiểm tra A" in html and "Đoàn kiểm tra B" not in html
    assert client_for(alice).get(url, {**period, "unit": tree.ward_b.pk}).status_code == 400
    assert client_for(alice).get(url, {**period, "date_to": "2025-01-01"}).status_code == 400


def test_inspector_without_membership_gets_no_satisfaction_figures(client_for, tree):
    from inspections.models import Inspector
    from tests.factories import UserFactory

    inspector = UserFactory(username="thanhtra")
    Inspector.objects.create(user=inspector, unit=tree.city)
    inspect(tree.ward_a, tree.office_a)
    response = client_for(inspector).get(reverse("reports:inspections"))
    assert response.status_code == 400  # no unit whose ratings they may read


def test_monthly_section_counts_the_month_and_follows_up_three_months_on(tree, rated):
    held = inspect(tree.ward_a, tree.office_a, day=date(2026, 8, 5), inspecting_level="city")
    DisciplinaryCase.objects.create(
        inspection=held, person="Lê Văn D", breach="Đến muộn", measure="warning", date=held.date
    )
    inspect(tree.ward_b, tree.office_b, day=date(2026, 8, 20), kind="planned")
    inspect(tree.ward_a, tree.office_a, day=date(2026, 7, 31))  # another month
    followed = inspect(tree.ward_a, tree.office_a, day=date(2026, 5, 10))
    rated(tree.office_a, 5, date(2026, 6, 1), times=2)
    section = monthly_section(tree.district_a, date(2026, 8, 1))
    assert section["month"] == Month(2026, 8)
    assert [i.pk for i in section["inspections"]] == [held.pk]
    assert (section["counts"].total, section["counts"].cases) == (1, 1)
    assert dict((str(k), n) for k, n in section["levels"])["City inspection team"] == 1
    assert [code for code, _label, _n in section["by_measure"]] == ["warning"]
    assert section["followed_month"] == Month(2026, 5)  # its "after" ends with August
    [row] = section["before_after"]
    assert row.inspection == followed and row.after.n == 2 and row.after_complete
    html = render_to_string("reports/partials/inspections_section.html", {"section": section})
    assert "Lê Văn D" not in html  # counts only: no names in the monthly report
    assert "Thanh tra Sở Nội vụ" in html and "06/2026–08/2026" in html


def test_monthly_section_of_a_quiet_month_renders(tree):
    section = monthly_section(tree.city, date(2026, 2, 1))
    assert section["counts"].total == 0 and section["before_after"] == []
    html = render_to_string("reports/partials/inspections_section.html", {"section": section})
    assert "sec-inspections" in html


def test_monthly_section_of_an_office_keeps_its_own_and_its_units_inspections(tree):
    from tests.factories import OfficeFactory

    sibling = OfficeFactory(unit=tree.ward_a, name="Điểm tiếp nhận số 2")
    own = inspect(tree.ward_a, tree.office_a, day=date(2026, 8, 3))
    whole_unit = inspect(tree.ward_a, day=date(2026, 8, 4))
    inspect(tree.ward_a, sibling, day=date(2026, 8, 5))
    section = monthly_section(tree.ward_a, date(2026, 8, 1), office=tree.office_a)
    assert [i.pk for i in section["inspections"]] == [own.pk, whole_unit.pk]


def test_monthly_section_renders_inside_the_report_body_context(tree):
    inspect(tree.ward_a, tree.office_a, day=date(2026, 8, 3), inspecting_body="Đoàn A")
    section = monthly_section(tree.ward_a, date(2026, 8, 1))
    html = render_to_string("reports/partials/inspections_section.html", {"inspections": section})
    assert "Đoàn A" in html
