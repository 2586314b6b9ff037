"""The reports say which figures come from the comparable core and which from local
questions (an office's own extension): on the page, in the PDF and in the tables export."""

import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import QuestionFactory, make_response, survey_version
from tests.reports.conftest import HANOI

pytestmark = pytest.mark.django_db
MONTH = "2026-03"


@pytest.fixture
def local_question(tree, rate, bank):
    """Office A's extension asks about its parking, beside Hà Nội's core questions."""
    parking = QuestionFactory(code="parking", text_en="Was parking easy?", factor="access")
    extension = survey_version(None, [parking], office=tree.office_a, code="ext-parking")
    when = datetime(2026, 3, 10, 9, 0, tzinfo=HANOI)
    for _ in range(3):
        rate(tree.office_a, access=5, officials=4, greet=1, when=when)
        make_response(extension, tree.office_a, {parking: 2}, when=when, received_at=when)
    return parking


def _url(name, *extra):
    return lambda office: reverse(f"reports:{name}", args=["office", office.pk, MONTH, *extra])


def test_the_report_page_marks_core_and_local_questions(client_for, alice, tree, local_question):
    page = client_for(alice).get(_url("report")(tree.office_a))
    assert page.status_code == 200
    report = page.context["report"]
    assert report.origin("parking") == "local" and report.origin("access") == "core"
    rows = {line for line in page.text.splitlines() if "<tr><td>" in line}
    parking = next(r for r in rows if "Was parking easy?" in r)
    assert "report-origin-local" in parking and "report-origin-core" not in parking
    core = [r for r in rows if "report-origin-core" in r]
    assert core and not any("Was parking easy?" in r for r in core)
    assert "report-origin-note" in page.text


def test_the_tables_export_and_the_pdf_say_where_each_question_comes_from(
    client_for, alice, tree, local_question
):
    client = client_for(alice)
    body = b"".join(client.get(_url("export_tables", "csv")(tree.office_a)).streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = next(r for r in rows if r[:2] == ["Code", "Question"])
    source = header.index("Source")
    by_code = {r[0]: r for r in rows if len(r) > source and r[0] in ("parking", "access")}
    assert by_code["parking"][source] == "local" and by_code["access"][source] == "core"

    pdf = client.get(_url("export_pdf")(tree.office_a))
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "local" in text and "core" in text


def test_an_office_with_only_core_questions_needs_no_note(client_for, alice, tree, rate):
    rate(tree.office_a, access=5, officials=4, greet=1)
    page = client_for(alice).get(_url("report")(tree.office_a))
    assert "report-origin-local" not in page.text and "report-origin-note" not in page.text
