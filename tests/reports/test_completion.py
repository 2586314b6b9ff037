"""Reports count partial ratings (left before the last question) correctly: each
question's n is its own, and the report says how many were completed in full."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.indices import satisfaction_summary
from surveys.management.commands.rebuild_rollups import rebuild_rollups
from tests.reports.test_rebuild_rollups import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(tree, rate):
    for score in (5, 4, 2):  # completed in full
        rate(tree.office_a, access=score, officials=score, greet=1, desk=tree.desk_a)
    rate(tree.office_a, access=5, completed=False)  # the one tap on the start screen
    rate(tree.office_a, access=1, officials=4, completed=False, desk=tree.desk_a)
    rate(tree.office_a, access=1, completed=False, misuse=True)  # excluded: not counted
    rate(tree.office_b, access=3, completed=False)
    return tree


def kwargs(obj, kind="office"):
    return {"kind": kind, "pk": obj.pk, "month": "2026-03"}


def test_per_question_n_counts_what_each_partial_rating_answered(rated):
    from datetime import date

    summary = satisfaction_summary([rated.office_a.pk], date(2026, 3, 1), date(2026, 4, 1))
    assert (summary.n, summary.excluded) == (5, 1)
    n = {q.code: q.n for q in summary.questions + summary.conduct}
    assert n == {"access": 5, "officials": 4, "greet": 3}
    shares = {q.code: q.share for q in summary.questions}
    assert shares == {"access": 3 / 5, "officials": 3 / 4}


def test_the_report_says_how_many_were_completed_in_full(client_for, alice, bob, rated):
    page = client_for(alice).get(reverse("reports:report", kwargs=kwargs(rated.office_a)))
    assert page.status_code == 200
    html = re.sub(r"\s+", " ", page.text)
    assert re.search(r"Completed in full</th> ?<td[^>]*>3<", html)
    assert re.search(r"Partial \(left before the last question\)</th> ?<td[^>]*>2<", html)
    assert (
        client_for(bob).get(reverse("reports:report", kwargs=kwargs(rated.office_a))).status_code
        == 404
    )


def test_a_desk_and_a_unit_report_count_their_own_partial_ratings(client_for, carol, rated):
    desk = client_for(carol).get(reverse("reports:report", kwargs=kwargs(rated.desk_a, "desk")))
    html = re.sub(r"\s+", " ", desk.text)
    assert re.search(r"Partial \(left before the last question\)</th> ?<td[^>]*>1<", html)
    city = client_for(carol).get(reverse("reports:report", kwargs=kwargs(rated.city, "unit")))
    html = re.sub(r"\s+", " ", city.text)
    assert re.search(r"Partial \(left before the last question\)</th> ?<td[^>]*>3<", html)
    assert re.search(r"Completed in full</th> ?<td[^>]*>3<", html)


def test_exports_and_pdf_carry_the_completion_counts(client_for, alice, rated):
    client = client_for(alice)
    tables = client.get(
        reverse("reports:export_tables", kwargs={**kwargs(rated.office_a), "fmt": "xlsx"})
    )
    body = (
        b"".join(tables.streaming_content)
        if hasattr(tables, "streaming_content")
        else tables.content
    )
    summary = dict(
        load_workbook(io.BytesIO(body))["Summary"].iter_rows(min_row=2, values_only=True)
    )
    assert summary["Completed in full"] == 3
    assert summary["Partial (left before the last question)"] == 2
    pdf = client.get(reverse("reports:export_pdf", kwargs=kwargs(rated.office_a)))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Completed in full" in text and "Partial (left before the last question)" in text


def test_the_partial_counts_are_rebuilt_from_raw_ratings(rated):
    incremental = snapshot()
    assert incremental[-1]  # the partial table was written
    rebuild_rollups()
    assert snapshot() == incremental
