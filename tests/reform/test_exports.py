"""Exports opened back: the criteria set as a spreadsheet (and imported again), the
ranking and the unit page as CSV / XLSX, and the unit page as a PDF."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from offices.models import AuditEvent, Role
from reform.models import CriteriaSet, Status
from tests.factories import MembershipFactory, UserFactory
from tests.reform.conftest import criteria, score_all

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def read_xlsx(response) -> dict[str, list[tuple]]:
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def appraised_a(assessment_a):
    score_all(
        assessment_a,
        {"1.1": "1", "1.2": "96", "1.3.1": "1", "1.3.2": "1.5", "2.1": "72"},
        appraised={"2.1": "40"},
    )
    assessment_a.status = Status.APPRAISED
    assessment_a.save()
    return assessment_a


def test_a_set_exported_as_xlsx_imports_back_the_same(client_for, admin_user, par_set):
    client = client_for(admin_user)
    exported = client.get(reverse("reform:set_export", args=[par_set.pk, "xlsx"]))
    assert exported.status_code == 200
    (rows,) = read_xlsx(exported).values()
    assert rows[0][:4] == ("area_code", "area_name", "area_max", "code")
    assert rows[1][:3] == ("1", "Chỉ đạo", 5)
    assert rows[5][:5] == ("1", None, None, "1.3.1", "1.3")
    content = client.get(reverse("reform:set_export", args=[par_set.pk, "xlsx"]))
    upload = SimpleUploadedFile("set.xlsx", b"".join(content.streaming_content))
    response = client.post(
        reverse("reform:set_import"),
        {"file": upload, "issuer": par_set.issuer_id, "year": 2026, "level": "commune",
         "name": "Hà Nội 2026"},
    )  # fmt: skip
    assert response.status_code == 302
    copy = CriteriaSet.objects.get(year=2026)
    old, new = criteria(par_set), criteria(copy)
    assert sorted(old) == sorted(new)
    for code, a in old.items():
        b = new[code]
        assert (a.name, a.max_points, a.rule, a.source, a.target) == (
            b.name, b.max_points, b.rule, b.source, b.target,
        )  # fmt: skip
        assert [list(map(float, t)) for t in a.thresholds] == [
            list(map(float, t)) for t in b.thresholds
        ]
        assert (a.parent.code if a.parent else "") == (b.parent.code if b.parent else "")
    assert [a.max_points for a in copy.areas.all()] == [5, 10]
    assert AuditEvent.objects.filter(action="reform.set.import").exists()


def test_a_bad_set_file_is_refused_whole_with_the_lines_named(client_for, tree, par_set):
    head = UserFactory(username="cityadmin")
    MembershipFactory(user=head, unit=tree.city, role=Role.ADMIN)
    text = (
        "area_code,area_name,area_max,code,parent_code,name,max_points,rule,source,target,thresholds,figure\n"
        "1,Chỉ đạo,10,,,,,,,,,\n"
        "1,,,1.1,,Kế hoạch,2,yesno,self,,,\n"
        "1,,,1.2,,Đúng hạn,3,guess,self,,,\n"
        "1,,,1.3,,Trực tuyến,abc,proportional,self,,,\n"
        "2,,,2.1,,Không có lĩnh vực,1,yesno,self,,,\n"
    )
    upload = SimpleUploadedFile("set.csv", text.encode())
    response = client_for(head).post(
        reverse("reform:set_import"),
        {"file": upload, "issuer": tree.city.pk, "year": 2027, "level": "commune", "name": "X"},
        **EN,
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Line 4: rule must be one of" in body
    assert "Line 5: max_points must be a number" in body
    assert "Line 6: area 2 is not defined above" in body
    assert not CriteriaSet.objects.filter(year=2027).exists()


def test_only_an_admin_imports_sets(client_for, alice, carol):
    for user in (alice, carol):
        assert client_for(user).get(reverse("reform:set_import")).status_code == 403


def test_the_ranking_exports_open_back(client_for, carol, tree, par_set, appraised_a):
    client = client_for(carol)
    query = {"unit": tree.city.pk, "set": par_set.pk}
    rows = read_csv(client.get(reverse("reports:reform_ranking_export", args=["csv"]), query, **EN))
    assert rows[0] == ["Ranking"]
    header, first = rows[1], rows[2]
    assert header[:6] == [
        "Rank",
        "Unit code",
        "Unit",
        "Status",
        "Final score",
        "Self-assessed score",
    ]
    assert first[:3] == ["1", "HN-CG-NT", "Phường Nghĩa Tân"]
    assert float(first[4]) == 8.0 and float(first[5]) == 10.4  # 5 + 3.00 ; 5 + 5.40
    sheets = read_xlsx(
        client.get(reverse("reports:reform_ranking_export", args=["xlsx"]), query, **EN)
    )
    ranking, cuts = sheets.values()
    assert ranking[1][1] == "HN-CG-NT" and ranking[1][4] == 8.0
    assert cuts[1][1].startswith("2.1") and cuts[1][2:4] == (5.4, 3.0)
    assert AuditEvent.objects.filter(action="export", detail__what="par_ranking").count() == 2


def test_the_unit_exports_and_pdf_open_back(client_for, dora, tree, par_set, appraised_a):
    client = client_for(dora)
    url_args = [tree.ward_a.pk]
    sheets = read_xlsx(
        client.get(
            reverse("reports:reform_unit_export", args=[*url_args, "xlsx"]), {"year": 2025}, **EN
        )
    )
    areas, years, cuts = sheets.values()
    assert areas[0][:5] == ("Code", "Area", "Maximum", "Self-assessed", "Final score")
    assert areas[1][:5] == ("1", "Chỉ đạo", 5, 5, 5)
    assert areas[2][3:5] == (5.4, 3.0)
    assert any(row[0] == 2025 and row[1] == 8.0 for row in years[1:])
    rows = read_csv(
        client.get(reverse("reports:reform_unit_export", args=[*url_args, "csv"]), {"year": 2025})
    )
    assert rows[0] == ["Theo lĩnh vực"]  # a table title, in Vietnamese by default
    assert rows[2][:2] == ["1", "Chỉ đạo"]
    pdf = client.get(reverse("reports:reform_unit_pdf", args=url_args), {"year": 2025}, **EN)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Phường Nghĩa Tân" in text
    assert "PAR INDEX 2025" in text and "8.00" in text and "10.40" in text


def test_exports_are_scoped(client_for, bob, tree, par_set, appraised_a):
    client = client_for(bob)
    assert (
        client.get(reverse("reports:reform_unit_export", args=[tree.ward_a.pk, "csv"])).status_code
        == 404
    )
    assert client.get(reverse("reports:reform_unit_pdf", args=[tree.ward_a.pk])).status_code == 404
    rows = read_csv(client.get(reverse("reports:reform_ranking_export", args=["csv"])))
    assert "HN-CG-NT" not in str(rows)


def test_the_monthly_report_of_a_unit_carries_a_par_section(
    client_for, carol, bob, tree, par_set, appraised_a
):
    url = reverse("reports:export_pdf", args=["unit", tree.city.pk, "2025-12"])
    pdf = client_for(carol).get(url, **EN)
    assert pdf.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Administrative reform index" in text
    assert "Phường Nghĩa Tân" in text and "8.00" in text
    page = client_for(bob).get(
        reverse("reports:report", args=["unit", tree.ward_b.pk, "2025-12"]), **EN
    )
    assert page.status_code == 200 and page.context["report"].reform is None
    assert "Phường Nghĩa Tân" not in page.content.decode()
