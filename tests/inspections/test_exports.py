"""Exports of the register and of the counts, opened back as a spreadsheet would."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from common.exports import safe_cell
from offices.models import AuditEvent
from tests.inspections.conftest import make_case, make_inspection

pytestmark = pytest.mark.django_db

NASTY = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def register(tree):
    a = make_inspection(
        tree.ward_a, tree.office_a, date=date(2025, 2, 3), findings=NASTY, kind="surprise"
    )
    make_case(a, person="+84 912 000 000 (giả mạo)", breach="@SUM(A1:A9)", measure="warning")
    make_case(a, measure="reprimand")
    b = make_inspection(tree.ward_b, tree.office_b, date=date(2025, 5, 6), outcome="-1+1")
    return a, b


def read_csv(response) -> list[list[str]]:
    text = response.getvalue().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(response.getvalue()))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+84", "'+84"),
        ("-5", "'-5"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Bình thường", "Bình thường"),
        ("a=b", "a=b"),
        (5, 5),
        (None, None),
    ],
)
def test_safe_cell_quotes_what_a_spreadsheet_would_run(value, expected):
    assert safe_cell(value) == expected


def test_register_csv_is_scoped_and_formula_safe(client_for, alice, register):
    response = client_for(alice).get(reverse("inspections:export_register", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0][0] == "Ngày"  # Vietnamese headers by default
    assert len(rows) == 2  # header + ward A only
    row = rows[1]
    assert row[0] == "2025-02-03" and row[1] == "HN-CG-NT"
    assert row[8] == "'" + NASTY
    assert row[10] == "2"  # cases


def test_register_xlsx_has_inspections_and_cases_sheets(client_for, carol, register):
    response = client_for(carol).get(reverse("inspections:export_register", args=["xlsx"]))
    assert response.status_code == 200
    sheets = read_xlsx(response)
    inspections, cases = sheets.values()
    assert len(inspections) == 3
    first, second = inspections[1], inspections[2]
    assert first[0].date() == date(2025, 2, 3)
    assert first[8] == "'" + NASTY  # text, not a formula
    assert second[9] == "'-1+1"
    assert len(cases) == 3
    persons = {row[3] for row in cases[1:]}
    assert "'+84 912 000 000 (giả mạo)" in persons
    assert "'@SUM(A1:A9)" in {row[4] for row in cases[1:]}
    assert AuditEvent.objects.filter(action="inspection.export").count() == 1


def test_register_export_follows_the_filters(client_for, carol, register):
    url = reverse("inspections:export_register", args=["csv"])
    rows = read_csv(client_for(carol).get(url, {"kind": "surprise"}))
    assert [r[1] for r in rows[1:]] == ["HN-CG-NT"]


def test_register_export_refuses_bad_formats_and_filters(client_for, carol, tree, register):
    client = client_for(carol)
    assert client.get(reverse("inspections:export_register", args=["pdf"])).status_code == 400
    url = reverse("inspections:export_register", args=["csv"])
    assert client.get(url, {"date_from": "31/02/2025"}).status_code == 400


def test_register_export_makes_a_fixed_number_of_queries(
    client_for, carol, tree, django_assert_max_num_queries
):
    for day in range(1, 21):
        inspection = make_inspection(tree.ward_a, tree.office_a, date=date(2025, 1, day))
        make_case(inspection)
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("inspections:export_register", args=["xlsx"]))
    inspections, cases = read_xlsx(response).values()
    assert len(inspections) == 21 and len(cases) == 21


def test_counts_exports_open_back_with_the_same_figures(client_for, carol, tree, register):
    client = client_for(carol)
    params = {"unit": tree.city.pk, "date_from": "2025-01-01", "date_to": "2025-12-31"}
    params["group"] = "year"
    sheets = read_xlsx(client.get(reverse("inspections:export_counts", args=["xlsx"]), params))
    by_period, by_unit, by_measure = sheets.values()
    assert by_period[1][:2] == ("2025", 2)
    assert by_period[-1][1] == 2  # total row
    assert by_period[1][-1] == 2  # cases
    assert {row[0]: row[1] for row in by_unit[1:]} == {"Quận Cầu Giấy": 1, "Quận Nam Từ Liêm": 1}
    assert sum(row[1] for row in by_measure[1:]) == 2
    rows = read_csv(
        client.get(reverse("inspections:export_counts", args=["csv"]), {**params, "table": "unit"})
    )
    assert [r[0] for r in rows[1:]] == ["Quận Cầu Giấy", "Quận Nam Từ Liêm"]


def test_counts_export_refuses_unknown_tables_and_out_of_scope_units(client_for, alice, tree):
    client = client_for(alice)
    url = reverse("inspections:export_counts", args=["csv"])
    assert client.get(url, {"table": "secrets"}).status_code == 400
    assert client.get(url, {"unit": tree.city.pk}).status_code == 400
    assert client.get(url).status_code == 200
