"""Script in citizens' text never runs: XSS payloads in comments (text answers) and in
suggestions (text, name, reply) render as text everywhere they appear — report pages,
suggestion pages, the Django admin, the PDF — and spreadsheet exports neutralise
formulas (cells starting with = + - @ tab or CR).

Every HTML page is also parsed: no element carries an event handler (on…), no script
is inline (the CSP forbids them; only <script src> and JSON data blocks), no frame is
embedded and no link or source is a javascript: URL.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from html import escape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from suggestions.models import Category, Suggestion
from tests.factories import QuestionFactory, make_response, survey_version

pytestmark = pytest.mark.django_db

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><script>alert(2)</script>",
    "<svg onload=alert(3)><circle r=9/></svg>",
    "<svg><script>alert(4)</script></svg>",
    "'\"><iframe src=javascript:alert(5)>",
    '<a href="javascript:alert(6)">xem</a>',
    "{{ request.user }}{% debug %}",
]
JAVASCRIPT_URL = "javascript:alert(document.cookie)"
FORMULAS = ['=HYPERLINK("http://evil.example","bấm")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)"]
FORMULAS += ["\t=1+1", "\r=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH = "2026-03"


class Markup(HTMLParser):
    """Collects what could run in a page: event handlers, inline scripts, frames, URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and (
                (value or "").strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag in ("iframe", "object", "embed"):
            self.problems.append(f"<{tag}>")
        if tag == "script" and "src" not in values and values.get("type") != "application/json":
            self.problems.append("inline <script>")


def assert_inert(html: str, payloads: list[str]) -> None:
    parser = Markup()
    parser.feed(html)
    assert not parser.problems, parser.problems
    for payload in payloads:
        assert escape(payload) in html, payload  # shown, as text
        if escape(payload) != payload:
            assert payload not in html, payload  # never as markup


@pytest.fixture
def hostile(tree, alice):
    """Ward A with comments and a public suggestion (name, text, reply) full of payloads."""
    comment = QuestionFactory(code="comment", kind="text", factor="")
    score = QuestionFactory(code="access", factor="access")
    version = survey_version(tree.city, [score, comment], required=False)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=HANOI)
    # Formulas first (older), markup last: the report page shows the ten newest.
    for minutes, text in enumerate([*FORMULAS, JAVASCRIPT_URL, *MARKUP]):
        when = start + timedelta(minutes=minutes)
        make_response(version, tree.office_a, {score: 4, comment: text}, when=when)
    tree.office_a.public_board = True
    tree.office_a.save(update_fields=["public_board"])
    suggestion = Suggestion(
        office=tree.office_a,
        category=Category.CONDUCT,
        text=" ".join(MARKUP),
        name=MARKUP[1][:100],
        contact="0912345678",
        contact_consent=True,
        is_public=True,
    )
    suggestion.save()
    suggestion.add_reply(alice, MARKUP[0] + " " + MARKUP[3], public=True)
    return suggestion


def page(client, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, (url, reply.status_code)
    return reply.content.decode()


def test_comments_render_as_text_on_the_report_and_comments_pages(client_for, alice, hostile):
    ward = hostile.office.unit
    browser = client_for(alice)
    assert_inert(page(browser, f"/reports/unit/{ward.pk}/{MONTH}/comments/"), MARKUP)
    assert_inert(page(browser, f"/reports/unit/{ward.pk}/{MONTH}/"), MARKUP)
    office = hostile.office
    assert_inert(page(browser, f"/reports/office/{office.pk}/{MONTH}/comments/"), MARKUP)


def test_suggestions_render_as_text_for_officials(client_for, alice, hostile):
    browser = client_for(alice)
    detail = page(browser, f"/suggestions/{hostile.pk}/")
    assert_inert(detail, [*MARKUP, MARKUP[1][:100]])
    excerpt = hostile.text[:89] + "…"  # the list shows the first 90 characters
    assert_inert(page(browser, "/suggestions/"), [excerpt])


def test_suggestions_render_as_text_for_citizens(client, hostile):
    status = page(client, f"/suggestions/track/{hostile.code}/")
    assert_inert(status, [MARKUP[0] + " " + MARKUP[3], *MARKUP])
    assert MARKUP[1] not in status  # the name is never public
    board = page(client, f"/suggestions/boards/{hostile.office.pk}/")
    assert_inert(board, [MARKUP[0] + " " + MARKUP[3], *MARKUP])
    assert_inert(page(client, "/suggestions/boards/"), [])


def test_the_admin_shows_comments_and_suggestions_as_text(client_for, admin_user, hostile):
    from surveys.models import Response

    browser = client_for(admin_user)
    response = Response.objects.filter(answers__text=MARKUP[0]).get()
    assert_inert(page(browser, f"/admin/surveys/response/{response.pk}/change/"), [MARKUP[0]])
    assert_inert(page(browser, "/admin/surveys/response/"), [])
    assert_inert(page(browser, "/admin/surveys/response/?q=%3Cscript%3E"), [])
    change = page(browser, f"/admin/suggestions/suggestion/{hostile.pk}/change/")
    assert_inert(change, [MARKUP[0] + " " + MARKUP[3], MARKUP[1][:100]])
    assert_inert(page(browser, "/admin/suggestions/suggestion/?q=%3Csvg"), [])


def test_the_pdf_prints_payloads_as_text(client_for, alice, hostile):
    ward = hostile.office.unit
    reply = client_for(alice).get(f"/reports/unit/{ward.pk}/{MONTH}/report.pdf")
    assert reply.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(reply.content)).pages)
    flat = "".join(text.split())
    for payload in [*MARKUP, JAVASCRIPT_URL]:  # printed, not parsed as markup
        assert "".join(payload.split()) in flat, payload


def _neutral(cell) -> bool:
    return not (isinstance(cell, str) and cell.startswith(TRIGGERS))


def test_exports_neutralise_formulas_and_keep_markup_as_text(client_for, alice, hostile):
    ward = hostile.office.unit
    browser = client_for(alice)
    raw = browser.get(f"/reports/unit/{ward.pk}/{MONTH}/responses.csv")
    text = b"".join(raw.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    texts = [row[-1] for row in rows[1:] if row[-1]]
    assert all(_neutral(cell) for row in rows for cell in row)
    assert sorted(texts) == sorted(["'" + f for f in FORMULAS] + [JAVASCRIPT_URL, *MARKUP])

    xlsx = browser.get(f"/reports/unit/{ward.pk}/{MONTH}/responses.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    cells = [c for row in sheet.iter_rows(min_row=2, values_only=True) for c in row]
    assert all(_neutral(cell) for cell in cells)
    as_read = sorted(t.replace("\r", "\n") for t in texts)  # XML reads CR as LF
    assert sorted(c for c in cells[12::13] if c) == as_read  # the text column
    formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []

    for fmt in ("csv", "xlsx"):  # the report's tables: names and texts, no formulas
        tables = browser.get(f"/reports/unit/{ward.pk}/{MONTH}/tables.{fmt}")
        assert tables.status_code == 200
