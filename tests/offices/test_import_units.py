import csv
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from offices.models import AdministrativeUnit

pytestmark = pytest.mark.django_db

REAL_FILE = settings.BASE_DIR.parent / "shared" / "data" / "vn-admin-units-2025.csv"


@pytest.fixture
def hanoi_csv(tmp_path):
    """Hà Nội and its 126 wards and communes, taken from the real 2025 file."""
    with open(REAL_FILE, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if "01" in (r["code"], r["parent_code"])]
    path = tmp_path / "hanoi.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code", "name", "level", "parent_code"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_import(path, language="en") -> str:
    out = io.StringIO()
    with translation.override(language):
        call_command("import_units", str(path), stdout=out)
    return out.getvalue()


def test_import_real_hanoi_units(hanoi_csv):
    output = run_import(hanoi_csv)
    assert "127 created" in output
    hanoi = AdministrativeUnit.objects.get(code="01")
    assert hanoi.level == "province"
    assert hanoi.subtree().count() == 127
    ward = AdministrativeUnit.objects.get(code="00004")
    assert AdministrativeUnit.objects.get_parent(ward) == hanoi


def test_reimport_creates_no_duplicates_and_applies_renames(hanoi_csv):
    run_import(hanoi_csv)
    text = hanoi_csv.read_text(encoding="utf-8").replace("Phường Ba Đình", "Phường Ba Đình Mới")
    hanoi_csv.write_text(text, encoding="utf-8")
    output = run_import(hanoi_csv)
    assert "0 created, 1 updated, 126 unchanged" in output
    assert AdministrativeUnit.objects.count() == 127
    assert AdministrativeUnit.objects.get(code="00004").name == "Phường Ba Đình Mới"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("code,name,level\n01,Hà Nội,province\n", "missing column"),
        (
            "code,name,level,parent_code\n01,Hà Nội,province,\n02,,ward,01\n",
            "Line 3: the name is empty",
        ),
        (
            "code,name,level,parent_code\n01,Hà Nội,province,\n02,X,hamlet,01\n",
            "Line 3: unknown level",
        ),
        (
            "code,name,level,parent_code\n01,Hà Nội,province,\n02,X,ward,99\n",
            "Line 3: the parent code 99",
        ),
        (
            "code,name,level,parent_code\n01,A,province,\n01,B,province,\n",
            "Line 3: the code 01 already",
        ),
        ("code,name,level,parent_code\n01,A,ward,02\n02,B,ward,01\n", "loop"),
    ],
)
def test_bad_file_stops_with_line_and_writes_nothing(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        run_import(path)
    assert message in str(excinfo.value)
    assert "Nothing was imported" in str(excinfo.value)
    assert AdministrativeUnit.objects.count() == 0


def test_bad_row_after_good_rows_rolls_everything_back(tmp_path, hanoi_csv):
    body = hanoi_csv.read_text(encoding="utf-8") + "99999,Phường Lạ,ward,NOPE\n"
    path = tmp_path / "partly_bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CommandError, match="NOPE"):
        run_import(path)
    assert AdministrativeUnit.objects.count() == 0


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run_import(tmp_path / "absent.csv")


def test_errors_speak_the_operators_language(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,level,parent_code\n01,,province,\n", encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        run_import(path, language="vi")
    assert "Dòng 2: tên đang để trống." in str(excinfo.value)
    assert "Không có gì được nhập" in str(excinfo.value)
