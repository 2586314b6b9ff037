"""Exports: scope, audit log, formula-injection safety, files opened back, the e-mail."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from common.exports import safe_cell
from offices.models import AuditEvent

pytestmark = pytest.mark.django_db
MONTH = "2026-03"
EVIL = '=HYPERLINK("http://x.example","bấm")'


def url(name, obj, kind="unit", **extra):
    return reverse(f"reports:{name}", kwargs={"kind": kind, "pk": obj.pk, "month": MONTH, **extra})


def content(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def rated(tree, rate):
    for score in (5, 5, 4, 2):
        rate(tree.office_a, access=score, officials=score, desk=tree.desk_a, staff=tree.staff_a)
    rate(tree.office_a, access=5, comment=EVIL)
    rate(tree.office_a, access=1, comment="@SUM(A1:A9)", misuse=True)
    rate(tree.office_b, access=1, comment="Ward B only")
    return tree


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_triggers_are_neutralised(value):
    assert safe_cell(value) == "'" + value


def test_plain_values_are_left_alone():
    assert [safe_cell(v) for v in ["Hài lòng", 5, -1, None, 0.5]] == ["Hài lòng", 5, -1, None, 0.5]


EXPORTS = [
    ("export_tables", {"fmt": "csv"}),
    ("export_tables", {"fmt": "xlsx"}),
    ("export_responses", {"fmt": "csv"}),
    ("export_responses", {"fmt": "xlsx"}),
    ("export_pdf", {}),
]


@pytest.mark.parametrize(("name", "extra"), EXPORTS)
def test_exports_are_scoped_and_audited(client, client_for, bob, dora, rated, name, extra):
    anonymous = client.get(url(name, rated.ward_a, **extra))
    assert anonymous.status_code == 302
    assert client_for(bob).get(url(name, rated.ward_a, **extra)).status_code == 404
    assert client_for(bob).get(url(name, rated.office_a, "office", **extra)).status_code == 404
    assert AuditEvent.objects.filter(action="export").count() == 0
    response = client_for(dora).get(url(name, rated.ward_a, **extra))  # district over ward A
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content(response)
    event = AuditEvent.objects.filter(action="export", username="dora").get()
    assert event.detail["month"] == MONTH and event.object_repr == "Phường Nghĩa Tân"


def test_export_of_a_month_out_of_range_is_404(client_for, alice, rated):
    bad = reverse(
        "reports:export_tables",
        kwargs={"kind": "unit", "pk": rated.ward_a.pk, "month": "2026-13", "fmt": "csv"},
    )
    assert client_for(alice).get(bad).status_code == 404
    assert client_for(alice).get(bad.replace(".csv", ".exe")).status_code == 404


def test_raw_csv_streams_within_scope_and_neutralises_formulas(client_for, alice, rated):
    response = client_for(alice).get(url("export_responses", rated.ward_a, fmt="csv"))
    assert response.streaming
    text = content(response).decode("utf-8-sig")
    assert "'" + EVIL.replace('"', '""') in text
    assert "'@SUM(A1:A9)" in text  # flagged ratings are in the raw data, marked
    assert "Ward B only" not in text
    # Lan has fewer valid ratings than the minimum this month: her rows stay, unnamed.
    assert "Nguyễn Thị Lan" not in text


def test_raw_xlsx_opens_with_text_cells_safe(client_for, alice, rated):
    response = client_for(alice).get(url("export_responses", rated.ward_a, fmt="xlsx"))
    sheet = load_workbook(io.BytesIO(content(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    texts = [r[-1] for r in rows[1:] if r[-1]]
    assert "'" + EVIL in texts
    assert all(not t.startswith(("=", "@", "+", "-")) for t in texts)
    assert len({r[0] for r in rows[1:]}) == 6  # six responses of ward A


def test_tables_xlsx_holds_the_report_figures(client_for, alice, rated):
    english = {"accept-language": "en"}
    response = client_for(alice).get(
        url("export_tables", rated.ward_a, fmt="xlsx"), headers=english
    )
    workbook = load_workbook(io.BytesIO(content(response)))
    assert {"Summary", "Factors", "Questions", "Trend", "Staff"} <= set(workbook.sheetnames)
    summary = dict(workbook["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["Valid ratings"] == 5
    assert summary["Excluded as misuse"] == 1
    # access: 5,5,4,2,5 → 4/5; officials: 5,5,4,2 → 3/4; index = (0.8 + 0.75) / 2
    assert summary["Satisfaction index"] == pytest.approx(0.775, abs=1e-4)


def test_tables_csv_lists_every_table(client_for, alice, rated):
    english = {"accept-language": "en"}
    response = client_for(alice).get(url("export_tables", rated.ward_a, fmt="csv"), headers=english)
    text = content(response).decode("utf-8-sig")
    for title in ("Summary", "Factors", "Distribution", "Trend", "Desks", "Staff"):
        assert f"\r\n{title}\r\n" in text or text.startswith(f"{title}\r\n")


def test_pdf_opens_with_vietnamese_text_and_figures(client_for, alice, rated):
    vietnamese = {"accept-language": "vi"}
    response = client_for(alice).get(url("export_pdf", rated.ward_a), headers=vietnamese)
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Nghĩa Tân" in text
    assert "Nguyễn Thị Lan" not in text  # below the staff minimum: never named
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập – Tự do – Hạnh phúc" in text
    assert "77,5 %" in text  # the index, Vietnamese decimal comma
    assert "HYPERLINK" in text  # the newest comments are printed
    fonts = {
        str(font)
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
        for font in [font.get_object()["/BaseFont"]]
    }
    assert fonts and all("Report-Sans" in f for f in fonts)  # the shipped font only


def test_send_monthly_reports_mails_each_head_the_pdf(rated, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    rated.office_a.head_email = "truong@nghiatan.example.vn"
    rated.office_a.save()
    call_command("send_monthly_reports", month=MONTH, stdout=io.StringIO())
    (message,) = mail.outbox
    assert message.to == ["truong@nghiatan.example.vn"]
    name, pdf, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and name.endswith(f"{MONTH}.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Một cửa Nghĩa Tân" in text
    assert AuditEvent.objects.filter(action="report_emailed").count() == 1


def test_send_monthly_reports_refuses_a_bad_month(tree):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_monthly_reports", month="2026-13")
