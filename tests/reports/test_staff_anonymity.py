"""Staff anonymity in every output: an officer below the minimum valid ratings is not
shown anywhere — page, comments, tables CSV/XLSX, PDF, raw export — each read back.
The per-staff table shows conduct yes-rates for officers above the minimum."""

import csv
import io
import re
from datetime import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import DeskFactory, StaffFactory
from tests.reports.conftest import HANOI

pytestmark = pytest.mark.django_db

MONTH = "2026-03"
SECRET = "Cán bộ Hùng hỏi tiền"  # a comment on the officer below the minimum


@pytest.fixture(autouse=True)
def minimum(settings):
    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 10}


@pytest.fixture
def people(tree, rate):
    """Lan (desk 01) has 12 ratings; Hùng, alone at desk 02, has 3 — below the minimum."""
    lone_desk = DeskFactory(office=tree.office_a, number="02", name="Địa chính")
    hung = StaffFactory(office=tree.office_a, desk=lone_desk, full_name="Phạm Văn Hùng")
    for day in range(1, 13):
        when = datetime(2026, 3, day + 1, 9, 17, 42, tzinfo=HANOI)
        rate(tree.office_a, desk=tree.desk_a, staff=tree.staff_a, when=when, officials=5, greet=1)
    for day, score in ((2, 1), (3, 2), (4, 1)):
        when = datetime(2026, 3, day, 10, 33, 5, tzinfo=HANOI)
        rate(
            tree.office_a,
            desk=lone_desk,
            staff=hung,
            when=when,
            officials=score,
            greet=0,
            comment=SECRET if day == 2 else "",
        )
    return {"lan": tree.staff_a, "hung": hung, "lone_desk": lone_desk}


def url(name, kind, pk, fmt=None):
    args = [kind, pk, MONTH] + ([fmt] if fmt else [])
    return reverse(f"reports:{name}", args=args)


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def xlsx_text(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        " ".join(str(c) for c in row if c is not None)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def pdf_text(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_an_officer_below_the_minimum_has_no_figures_on_their_page(client_for, alice, people):
    page = client_for(alice).get(url("report", "staff", people["hung"].pk))
    assert page.status_code == 200
    report = page.context["report"]
    assert report.withheld and report.reasons == [] and report.staff == []
    text = page.text
    assert "shown only from 10 valid ratings" in text or "10" in text
    for absent in (
        "Satisfaction index",
        "Chỉ số hài lòng",
        "Mean score",
        "Điểm trung bình",
        SECRET,
    ):
        assert absent not in text
    assert 'class="display-6' not in text  # no headline figure at all
    assert page.context["comments"] == []


def test_their_comments_page_lists_nothing(client_for, alice, people):
    page = client_for(alice).get(url("comments", "staff", people["hung"].pk))
    assert page.status_code == 200 and SECRET not in page.text


def test_their_tables_export_says_only_that_figures_are_withheld(client_for, alice, people):
    client = client_for(alice)
    rows = csv_rows(client.get(url("export_tables", "staff", people["hung"].pk, "csv")))
    flat = " ".join(" ".join(r) for r in rows)
    assert "Phạm Văn Hùng" in flat  # the report names its subject …
    assert "Factors" not in flat and "Distribution" not in flat and "Mean score" not in flat
    assert not any(cell in ("1", "2", "3", "0.0") for row in rows[3:] for cell in row)
    text = xlsx_text(client.get(url("export_tables", "staff", people["hung"].pk, "xlsx")))
    assert "Mean score" not in text and "Distribution" not in text


def test_their_pdf_has_no_figures_or_comments(client_for, alice, people):
    text = pdf_text(client_for(alice).get(url("export_pdf", "staff", people["hung"].pk)))
    assert "Phạm Văn Hùng" in text
    assert SECRET not in text and "Mean score" not in text and "Satisfaction index" not in text


def test_their_raw_export_has_no_rows(client_for, alice, people):
    rows = csv_rows(
        client_for(alice).get(url("export_responses", "staff", people["hung"].pk, "csv"))
    )
    assert len(rows) == 1  # the header only


def test_the_office_outputs_never_name_or_show_the_officer_below_the_minimum(
    client_for, alice, people
):
    client = client_for(alice)
    page = client.get(url("report", "office", people["hung"].office_id))
    staff_rows = {r.label: r for r in page.context["report"].staff}
    assert staff_rows["Phạm Văn Hùng"].hidden and not staff_rows["Nguyễn Thị Lan"].hidden
    assert "Phạm Văn Hùng" not in page.text and "Nguyễn Thị Lan" in page.text
    # Desk 02 had a single officer: its figures are his, so the desk row is hidden too.
    desk_rows = {r.key: r for r in page.context["report"].desks}
    assert desk_rows[("desk", people["lone_desk"].pk)].hidden
    assert "Địa chính" not in page.text
    # His comment stays in the office's list, but without the desk that would name him.
    comments = list(page.context["comments"])
    secret = next(c for c in comments if c.text == SECRET)
    assert secret.desk_label == "" and "· 02" not in page.text

    tables = csv_rows(client.get(url("export_tables", "office", people["hung"].office_id, "csv")))
    flat = "\n".join(",".join(r) for r in tables)
    assert "Phạm Văn Hùng" not in flat and "Nguyễn Thị Lan" in flat and "Địa chính" not in flat
    xlsx = xlsx_text(client.get(url("export_tables", "office", people["hung"].office_id, "xlsx")))
    assert "Phạm Văn Hùng" not in xlsx and "Nguyễn Thị Lan" in xlsx
    pdf = pdf_text(client.get(url("export_pdf", "office", people["hung"].office_id)))
    assert "Phạm Văn Hùng" not in pdf and "Nguyễn Thị Lan" in pdf

    raw = csv_rows(client.get(url("export_responses", "office", people["hung"].office_id, "csv")))
    header, body = raw[0], raw[1:]
    staff_col, desk_col = header.index("Staff member"), header.index("Desk")
    named = {r[staff_col] for r in body}
    assert named == {"Nguyễn Thị Lan", ""}  # Hùng's rows are there, without his name
    assert "02" not in {r[desk_col] for r in body}
    raw_xlsx = xlsx_text(
        client.get(url("export_responses", "office", people["hung"].office_id, "xlsx"))
    )
    assert "Phạm Văn Hùng" not in raw_xlsx


def test_viewers_get_raw_times_to_the_hour_managers_to_the_second(client_for, alice, dora, people):
    office = people["hung"].office_id
    manager = csv_rows(client_for(alice).get(url("export_responses", "office", office, "csv")))
    column = manager[0].index("Submitted (local time)")
    assert "2026-03-02 09:17:42" in {r[column] for r in manager[1:]}
    viewer = csv_rows(client_for(dora).get(url("export_responses", "office", office, "csv")))
    times = {r[column] for r in viewer[1:]}
    assert "2026-03-02 09:00" in times and all(
        t.endswith(":00") and t.count(":") == 1 for t in times
    )


def test_the_staff_table_shows_conduct_yes_rates_above_the_minimum(client_for, alice, people):
    client = client_for(alice)
    page = client.get(url("report", "office", people["hung"].office_id))
    report = page.context["report"]
    assert [code for code, _text in report.conduct_columns] == ["greet"]
    lan = next(r for r in report.staff if r.label == "Nguyễn Thị Lan")
    assert lan.rank == 1 and {q.code: q.share for q in lan.summary.conduct} == {"greet": 1.0}
    assert 'class="text-end small conduct-col"' in page.text
    assert re.search(r"<td class=\"text-end\">100[\s\xa0\u202f]?%</td>", page.text)
    tables = csv_rows(client.get(url("export_tables", "office", people["hung"].office_id, "csv")))
    lan_row = next(r for r in tables if r[1:2] == ["Nguyễn Thị Lan"])
    assert lan_row[-1] == "1.0"  # the greet yes-rate follows the index
    assert any("1 more not listed" in " ".join(r) for r in tables)


def test_an_officers_withheld_months_are_blank_in_the_trend_chart_and_export(
    client_for, alice, people, rate, tree, english
):
    """Lan reaches the minimum in March; her 3 February ratings (and the empty months)
    are withheld: no "n=3", not even "n=0", under the chart, and a notice says why."""
    for day in (3, 4, 5):
        when = datetime(2026, 2, day, 9, 5, tzinfo=HANOI)
        rate(tree.office_a, desk=tree.desk_a, staff=tree.staff_a, when=when, officials=2)
    client = client_for(alice)
    page = client.get(url("report", "staff", people["lan"].pk))
    chart = str(page.context["report"].charts["trend"])
    assert "n=12" in chart
    assert "n=3" not in chart and "n=0" not in chart
    assert "02/2026: withheld (too few ratings)" in chart
    assert "report-trend-withheld" in page.text and "Months marked “–” are withheld" in page.text
    rows = csv_rows(client.get(url("export_tables", "staff", people["lan"].pk, "csv")))
    february = next(r for r in rows if r and r[0] == "2026-02")
    assert february[1].startswith("hidden") and "3" not in february[1:]
    # The office's own trend is not about one officer: its months keep their counts.
    office = client.get(reverse("reports:report", args=["office", tree.office_a.pk, MONTH]))
    office_chart = str(office.context["report"].charts["trend"])
    assert "n=0" in office_chart and "report-trend-withheld" not in office.text
