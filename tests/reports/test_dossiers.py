"""Dossiers-handled figures: CSV import by command and by page, all rows or none."""

import io
from datetime import date

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from offices.models import AuditEvent, DossierCount

pytestmark = pytest.mark.django_db


def write_csv(tmp_path, text):
    path = tmp_path / "dossiers.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_command_imports_by_office_id_and_unit_code(tree, tmp_path):
    csv_path = write_csv(
        tmp_path,
        f"month,office,dossiers_handled\n2026-03,{tree.office_a.pk},120\n2026-03,HN-NTL-MD1,80\n",
    )
    call_command("import_dossier_counts", csv_path, stdout=io.StringIO())
    figures = dict(DossierCount.objects.values_list("office__name", "dossiers_handled"))
    assert figures == {"Một cửa Nghĩa Tân": 120, "Một cửa Mỹ Đình 1": 80}
    assert DossierCount.objects.filter(month=date(2026, 3, 1)).count() == 2
    # Importing again replaces, never duplicates.
    call_command("import_dossier_counts", csv_path, stdout=io.StringIO())
    assert DossierCount.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("2026-03,{a},-5", "line %(line)s: dossiers handled must be a whole number"),
        ("2026-13,{a},5", "line %(line)s: month must be YYYY-MM, not in the future"),
        ("2026-03,NOPE,5", "line %(line)s: unknown office “%(office)s”"),
        ("2026-03,{a}", "line %(line)s: expected 3 columns"),
        ("2026-02,{a},5", "line %(line)s: the same office and month twice"),
    ],
)
def test_command_bad_rows_write_nothing(tree, tmp_path, body, message):
    text = f"month,office,dossiers_handled\n2026-02,{tree.office_a.pk},10\n"
    text += body.format(a=tree.office_a.pk) + "\n"
    with pytest.raises(CommandError) as error:
        call_command("import_dossier_counts", write_csv(tmp_path, text))
    with translation.override(settings.LANGUAGE_CODE):  # commands speak the site language
        expected = translation.gettext(message) % {"line": 3, "office": "NOPE"}
    assert expected in str(error.value)
    assert not DossierCount.objects.exists()


def test_command_refuses_a_wrong_header(tree, tmp_path):
    with pytest.raises(CommandError, match="month,office,dossiers_handled"):
        call_command("import_dossier_counts", write_csv(tmp_path, "a,b,c\n1,2,3\n"))


def upload(text):
    return SimpleUploadedFile("d.csv", text.encode("utf-8"), content_type="text/csv")


def test_manager_imports_for_own_offices_only(client_for, alice, tree):
    client = client_for(alice)
    url = reverse("reports:import_dossiers")
    assert client.get(url).status_code == 200
    other = f"month,office,dossiers_handled\n2026-03,{tree.office_b.pk},5\n"
    refused = client.post(url, {"csv_file": upload(other)})
    assert refused.status_code == 400 and "unknown office" in refused.content.decode()
    own = f"month,office,dossiers_handled\n2026-03,{tree.office_a.pk},5\n"
    assert client.post(url, {"csv_file": upload(own)}).status_code == 302
    assert DossierCount.objects.get().office == tree.office_a
    assert AuditEvent.objects.filter(action="dossiers_imported", username="alice").exists()


def test_viewers_and_anonymous_may_not_import(client, client_for, dora, tree):
    url = reverse("reports:import_dossiers")
    assert client.get(url).status_code == 302
    assert client_for(dora).get(url).status_code == 403
