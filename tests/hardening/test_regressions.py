"""One test per bug the generated input found: each failed with a 500 before its fix."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("office", ["²", "³", "١", "٣", "９"])
def test_a_suggestion_link_with_a_non_ascii_digit_is_office_not_found(client, tree, office):
    # "²".isdigit() is True but int("²") raises: the link gave a 500.
    page = client.get("/suggestions/new/", {"office": office, "channel": "kiosk"})
    assert page.status_code == 404
    assert "Không tìm thấy cơ quan" in page.text  # "Office not found"


@pytest.mark.parametrize("query", ["\x00", "Nghĩa Tân\x00", "\x00Nghĩa Tân"])
def test_the_office_finder_ignores_nul_characters(client, tree, query):
    # A NUL in the search reached PostgreSQL ("string literal cannot contain NUL"): a 500.
    page = client.get("/r/", {"q": query})
    assert page.status_code == 200
    if query.strip("\x00"):
        assert tree.office_a.name in page.text


def test_a_malformed_request_gets_a_page_that_says_why(client, tree):
    # Django refuses a multipart part whose headers exceed 1 KB (and other malformed
    # requests) with 400; without a 400.html that was a bare English "Bad Request (400)".
    boundary = "BoUnDaRy"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{"a" * 2000}"\r\n\r\nx\r\n'
        f"--{boundary}--\r\n"
    )
    page = client.post(
        "/suggestions/new/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 400
    assert "The request could not be read" in page.text
    assert "nothing was saved" in page.text
    assert '<html lang="en"' in page.text


@pytest.mark.parametrize("unit", ["²", "٣", "\x00", "1\x00", "abc"])
def test_the_dashboard_refuses_a_unit_id_that_is_no_number(client_for, alice, unit):
    # "²".isdigit() is True but int("²") raises: the dashboard gave a 500.
    page = client_for(alice).get("/reports/", {"unit": unit}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert "The request could not be read" in page.text


@pytest.mark.parametrize(
    ("office", "count", "error"),
    [
        ("²", "5", "unknown office"),
        ("{a}", "²", "whole number"),
        ("{a}", "٣", "whole number"),
        ("a\x00b", "5", "unknown office"),
        ("{a}", "5\x00", "whole number"),
    ],
)
def test_a_dossier_file_with_odd_digits_or_nul_gets_line_errors(
    client_for, alice, tree, office, count, error
):
    # isdigit() took "²" and int() then raised; a NUL reached PostgreSQL: both were 500s.
    from django.core.files.uploadedfile import SimpleUploadedFile

    row = f"2025-01,{office.format(a=tree.office_a.pk)},{count}"
    upload = SimpleUploadedFile("d.csv", f"month,office,dossiers_handled\n{row}\n".encode())
    page = client_for(alice).post(
        "/reports/dossiers/import/", {"csv_file": upload}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 400
    assert "line 2" in page.text and error in page.text


@pytest.fixture
def rated_with_control_characters(tree):
    from tests.factories import QuestionFactory, make_response, survey_version

    comment = QuestionFactory(code="comment", kind="text", factor="")
    score = QuestionFactory(code="access", factor="access")
    version = survey_version(tree.city, [score, comment], required=False)
    texts = ["bell\x07 esc\x1b[31m \x01\x02 vt\x0b ff\x0c", "\x01=HYPERLINK(1)", "\x1f+1"]
    when = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    for text in texts:
        make_response(version, tree.office_a, {score: 4, comment: text}, when=when)
    return tree


def test_raw_xlsx_export_survives_control_characters_in_comments(
    client_for, alice, rated_with_control_characters
):
    # The kiosk takes any text but NUL; openpyxl refuses "\x01" in a cell: the export was a 500.
    from openpyxl import load_workbook

    ward = rated_with_control_characters.ward_a
    reply = client_for(alice).get(f"/reports/unit/{ward.pk}/2026-03/responses.xlsx")
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(reply.streaming_content))).active
    texts = sorted(row[-1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[-1])
    assert texts == ["'+1", "'=HYPERLINK(1)", "bell esc[31m  vt ff"]


def test_inspections_xlsx_export_survives_control_characters(client_for, tree):
    # A finding pasted from another program may hold "\x0b"; openpyxl refused it: a 500.
    from openpyxl import load_workbook

    from inspections.models import Inspector
    from tests.factories import UserFactory
    from tests.inspections.conftest import make_case, make_inspection

    ivan = UserFactory(username="ivan")
    Inspector.objects.create(user=ivan, unit=tree.district_a)
    inspection = make_inspection(tree.ward_a, tree.office_a, findings="Sổ\x0bsách \x01=1+1")
    make_case(inspection, breach="\x08@SUM(1)")
    reply = client_for(ivan).get("/inspections/export/register.xlsx")
    assert reply.status_code == 200
    workbook = load_workbook(io.BytesIO(reply.getvalue()))
    cells = [c for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Sổsách =1+1" in cells and "'@SUM(1)" in cells
