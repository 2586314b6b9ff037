"""Monthly figures through the API: the same numbers as the reports, scoped, paged, in JSON
and CSV, with desks and officers withheld below the anonymity minimum."""

from __future__ import annotations

import csv
import io

import pytest

from common.months import Month
from offices.models import DossierCount
from reports.indices import satisfaction_summary
from tests.factories import QuestionFactory, make_response, survey_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(tree, settings):
    """This month: office A has 4 ratings at desk A1 by Lan (3 satisfied), one flagged;
    office B has 2."""
    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 4}
    officials = QuestionFactory(code="officials-attentive", factor="officials")
    access = QuestionFactory(code="access-signage", factor="access")
    version = survey_version(tree.city, [officials, access])
    for score in (5, 4, 2, 5):
        make_response(
            version,
            tree.office_a,
            {officials: score, access: 4},
            desk=tree.desk_a,
            staff=tree.staff_a,
        )
    make_response(version, tree.office_a, {officials: 1, access: 1}, misuse=True)
    for score in (3, 4):
        make_response(version, tree.office_b, {officials: score, access: score})
    month = Month.current()
    DossierCount.objects.create(office=tree.office_a, month=month.start, dossiers_handled=40)
    return month


def test_office_figures_match_the_reports(city_reader, tree, rated):
    body = city_reader.get("/api/v1/figures/offices/", {"from": str(rated), "to": str(rated)})
    assert body.status_code == 200
    rows = {r["office_name"]: r["months"][0] for r in body.json()["results"]}
    a = rows["Một cửa Nghĩa Tân"]
    expected = satisfaction_summary([tree.office_a.pk], rated.start, rated.end)
    assert a["month"] == str(rated)
    assert (a["n"], a["excluded"]) == (4, 1)
    assert a["index"] == pytest.approx(expected.overall) == pytest.approx((0.75 + 1.0) / 2)
    assert a["ci_low"] == pytest.approx(expected.ci_low) and a["ci_low"] < a["index"]
    assert {f["factor"]: f["share"] for f in a["factors"]} == {"access": 1.0, "officials": 0.75}
    assert a["factors"][0]["ci_high"] <= 1
    assert a["dossiers_handled"] == 40 and a["response_rate"] == pytest.approx(4 / 40)
    b = rows["Một cửa Mỹ Đình 1"]
    assert b["n"] == 2 and b["response_rate"] is None and b["dossiers_handled"] is None
    empty = rows["Trung tâm HCC Ba Đình"]
    assert empty["n"] == 0 and empty["index"] is None


def test_unit_figures_sum_their_subtree(city_reader, tree, rated):
    body = city_reader.get("/api/v1/figures/units/", {"from": str(rated), "to": str(rated)})
    units = {r["code"]: r["months"][0] for r in body.json()["results"]}
    assert units["01"]["n"] == 6  # the city: A's 4 and B's 2
    assert units["HN-CG"]["n"] == 4 and units["HN-NTL-MD1"]["n"] == 2
    assert units["01"]["response_rate"] == pytest.approx(4 / 40)  # only A has a figure


def test_figures_respect_scope_and_subtree(ward_a_reader, city_reader, tree, rated):
    mine = ward_a_reader.get("/api/v1/figures/offices/").json()
    assert [r["office_name"] for r in mine["results"]] == ["Một cửa Nghĩa Tân"]
    assert len(mine["months"]) == 13 and mine["months"][-1] == str(rated)
    assert ward_a_reader.get("/api/v1/figures/units/", {"under": tree.city.pk}).status_code == 404
    district = city_reader.get("/api/v1/figures/offices/", {"under": tree.district_b.pk}).json()
    assert [r["office_name"] for r in district["results"]] == ["Một cửa Mỹ Đình 1"]


def test_month_range_is_checked(city_reader, rated):
    later = rated.next()
    refused = city_reader.get("/api/v1/figures/offices/", {"from": str(later)})
    assert refused.status_code == 400 and refused.json()["field"] == "from"
    backwards = city_reader.get(
        "/api/v1/figures/offices/", {"from": str(rated), "to": str(rated.minus(2))}
    )
    assert backwards.status_code == 400
    assert city_reader.get("/api/v1/figures/offices/", {"to": "2026-13"}).status_code == 400
    too_long = city_reader.get("/api/v1/figures/offices/", {"from": str(rated.minus(40))})
    assert too_long.status_code == 400


def test_desks_and_officers_only_above_the_minimum(ward_a_reader, tree, rated, settings):
    desks = ward_a_reader.get("/api/v1/figures/desks/", {"office": tree.office_a.pk}).json()
    assert desks["minimum_n"] == 4
    row = next(r for r in desks["results"] if r["desk_id"] == tree.desk_a.pk)
    assert row["months"][-1]["n"] == 4 and row["months"][-1]["withheld"] is False
    assert row["months"][0]["withheld"] is True and row["months"][0]["n"] is None
    officers = ward_a_reader.get("/api/v1/figures/officers/", {"office": tree.office_a.pk})
    lan = next(r for r in officers.json()["results"] if r["staff_id"] == tree.staff_a.pk)
    assert lan["full_name"] == "Nguyễn Thị Lan" and lan["months"][-1]["index"] == 0.875
    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 5}
    hidden = ward_a_reader.get("/api/v1/figures/officers/", {"office": tree.office_a.pk}).json()
    lan = next(r for r in hidden["results"] if r["staff_id"] == tree.staff_a.pk)
    assert lan["months"][-1] == {**lan["months"][-1], "withheld": True, "n": None, "index": None}
    assert "0.875" not in str(hidden)


def test_figures_as_csv(city_reader, tree, rated):
    response = city_reader.get(
        "/api/v1/figures/offices/", {"from": str(rated), "to": str(rated), "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    a = next(r for r in rows if r["office_name"] == "Một cửa Nghĩa Tân")
    assert a["month"] == str(rated) and a["n"] == "4" and a["excluded"] == "1"
    assert float(a["officials_share"]) == 0.75 and a["procedures_share"] == ""
    assert float(a["response_rate"]) == pytest.approx(0.1)


def test_figures_read_a_fixed_number_of_queries(
    city_reader, tree, rated, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        city_reader.get("/api/v1/figures/units/", {"from": str(rated.minus(12))})
