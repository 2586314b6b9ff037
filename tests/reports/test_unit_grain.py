"""A unit's report read from the unit grain equals the one summed from its offices."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.months import Month
from offices.models import ProcedureField
from reports import monthly
from reports.deliveries import unit_subject
from reports.subjects import Subject
from tests.reports.conftest import HANOI

pytestmark = pytest.mark.django_db

MARCH = Month(2026, 3)


@pytest.fixture
def spread(tree, rate, settings):
    """Ratings over three wards, two districts and two months, with misuse, reasons and
    ratings left half-way; at desk A, officer Lan has two ratings (below a minimum of 3)."""
    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 3}
    march, february = (
        datetime(2026, 3, 10, 9, 0, tzinfo=HANOI),
        datetime(2026, 2, 3, 10, 0, tzinfo=HANOI),
    )
    lan = {"desk": tree.desk_a, "staff": tree.staff_a}
    civil = ProcedureField.objects.create(code="civil", name="Hộ tịch")
    civil.desks.add(tree.desk_a)  # before the ratings: they add to it as they come
    rate(tree.office_a, when=march, access=5, officials=4, greet=1, **lan)
    rate(tree.office_a, when=march, access=2, officials=1, reasons=["slow"], **lan)
    rate(tree.office_a, when=march, access=1, misuse=True)
    rate(
        tree.office_b, when=march, access=4, officials=2, reasons=["slow", "rude"], completed=False
    )
    rate(tree.office_c, when=march, access=3, officials=5, greet=0)
    rate(tree.office_b, when=february, access=5, officials=5)
    rate(tree.office_c, when=february, access=2, reasons=["rude"])
    return tree


def office_grain_only(monkeypatch):
    """Every unit report summed from the office grains, as before the unit grain."""
    monkeypatch.setattr(Subject, "units", property(lambda self: None))


def child_figures(children):
    return [(r.key, r.label, r.summary, r.rank, r.tied, r.hidden) for r in children]


@pytest.mark.parametrize("unit", ["city", "district_a", "ward_a", "ward_c"])
def test_a_unit_report_from_the_unit_grain_equals_the_sum_of_its_offices(spread, monkeypatch, unit):
    subject = unit_subject(getattr(spread, unit))
    with CaptureQueriesContext(connection) as queries:
        from_units = monthly.build_monthly_report(subject, MARCH)
    assert any("surveys_unitmonthlyanswerrollup" in q["sql"] for q in queries)
    office_grain_only(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        from_offices = monthly.build_monthly_report(unit_subject(getattr(spread, unit)), MARCH)
    assert not any("surveys_unitmonthly" in q["sql"] for q in queries)
    assert from_units.trend == from_offices.trend
    assert from_units.reasons == from_offices.reasons
    assert from_units.partial == from_offices.partial
    assert from_units.heat == from_offices.heat
    assert from_units.rate == from_offices.rate
    assert child_figures(from_units.children) == child_figures(from_offices.children)
    assert child_figures(from_units.staff) == child_figures(from_offices.staff)
    assert child_figures(from_units.fields) == child_figures(from_offices.fields)
    if unit == "city":
        assert (from_units.summary.n, from_units.summary.excluded) == (4, 1)
        assert from_units.partial == 1
        assert sum(from_units.heat.values()) == 4
        assert [(r.label, r.summary.n) for r in from_units.fields] == [("Hộ tịch", 2)]
        assert [m.n for _m, m in from_units.trend[-2:]] == [2, 4]
        assert {r.label for r in from_units.children} == {
            "Quận Cầu Giấy",
            "Quận Nam Từ Liêm",
            "Phường Ba Đình",
        }


def test_the_dashboard_ranks_sub_units_from_the_unit_grain_as_from_offices(spread, monkeypatch):
    from_units = monthly.build_dashboard(unit_subject(spread.city))
    office_grain_only(monkeypatch)
    from_offices = monthly.build_dashboard(unit_subject(spread.city))
    assert from_units.trend == from_offices.trend
    assert child_figures(from_units.children) == child_figures(from_offices.children)


def test_officers_below_the_minimum_stay_hidden_in_a_ward_report(spread):
    report = monthly.build_monthly_report(unit_subject(spread.ward_a), MARCH)
    lan = next(r for r in report.staff if r.key == ("staff", spread.staff_a.pk))
    assert lan.hidden and lan.rank is None  # two ratings, minimum three
    desk = next(r for r in report.desks if r.key == ("desk", spread.desk_a.pk))
    assert desk.hidden  # a desk only Lan was credited at reads as Lan


def test_office_desk_and_officer_reports_never_read_the_unit_grain(spread, carol, settings):
    from reports.subjects import resolve_subject

    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 1}
    for kind, obj in (
        ("office", spread.office_a),
        ("desk", spread.desk_a),
        ("staff", spread.staff_a),
    ):
        subject = resolve_subject(carol, kind, obj.pk)
        assert subject.units is None
        with CaptureQueriesContext(connection) as queries:
            report = monthly.build_monthly_report(subject, MARCH)
        assert not any("surveys_unitmonthly" in q["sql"] for q in queries), kind
        assert (report.summary.n, report.summary.excluded) == (2, 1 if kind == "office" else 0)


def test_api_unit_figures_from_the_unit_grain_equal_the_sum_of_their_offices(spread):
    from offices.models import DossierCount, Office
    from reports.figures import Tallies, office_month_tallies, unit_figures

    DossierCount.objects.create(office=spread.office_a, month=MARCH.start, dossiers_handled=40)
    DossierCount.objects.create(office=spread.office_c, month=MARCH.start, dossiers_handled=9)
    months = [Month(2026, 2), MARCH]
    units = [spread.city, spread.district_a, spread.ward_b]
    figures = unit_figures(units, Office.objects.all(), months)
    per_office = office_month_tallies(Office.objects.all(), months)
    for unit in units:
        for month, entry in zip(months, figures[unit.pk], strict=True):
            summed = Tallies()
            for office in Office.objects.in_subtree(unit):
                summed.add(per_office.get((office.pk, month), Tallies()))
            assert entry == summed.figures(month), (unit, month)
    city_march = figures[spread.city.pk][1]
    assert (city_march.summary.n, city_march.dossiers, city_march.rated_with_figure) == (4, 49, 3)
