# ruff: noqa: E501 — the demo tables read best with one criterion per line.
"""A demo PAR INDEX: Hà Nội's commune-level criteria sets for last year and this year,
and the demo wards' scores against both, with appraisers and a ward head to submit.

The areas follow the structure of the real index (direction of the reform, legal
documents, administrative procedures, organisation, civil service, public finance,
digital government, impact on people), in this project's own words and with made-up
points. This year's set is a copy of last year's with one criterion revised.

Idempotent: sets are keyed by issuer, year and level (a frozen set is left as it is),
scores are computed from the unit code, year and criterion code (no randomness
between runs) and written only where they differ. Run after `load_demo`.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from offices.management.commands.load_demo import DEMO_PASSWORD, HANOI
from offices.models import AdministrativeUnit, Membership, Role
from reform.models import (
    Appraiser,
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    Rule,
    Score,
    SetLevel,
    Source,
    Status,
)
from reform.sets_io import COLUMNS, parse, save_set

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# (area code, area name, area max) then its criteria:
# (code, parent code, name, max, rule, source, target, thresholds, figure)
# fmt: off
# (code, parent code, name, maximum, rule, source, target, thresholds, figure)
_Row = tuple[str, str, str, float, str, str, float | None, list[list[float]] | None, str]
AREAS: list[tuple[str, str, int, list[_Row]]] = [
    ("1", "Chỉ đạo, điều hành cải cách hành chính", 10, [
        ("1.1", "", "Kế hoạch cải cách hành chính năm được ban hành đúng hạn", 2, "yesno", "self", None, None, ""),
        ("1.2", "", "Mức độ hoàn thành kế hoạch cải cách hành chính", 3, "proportional", "self", 100, None, "% nhiệm vụ hoàn thành"),
        ("1.3", "", "Tuyên truyền về cải cách hành chính", 2, "direct", "self", None, None, ""),
        ("1.3.1", "1.3", "Có kế hoạch tuyên truyền riêng", 1, "yesno", "self", None, None, ""),
        ("1.3.2", "1.3", "Số tin, bài tuyên truyền trong năm", 1, "threshold", "self", None, [[12, 1], [6, 0.5]], "tin, bài"),
        ("1.4", "", "Sáng kiến, cách làm mới được công nhận", 3, "direct", "self", None, None, "điểm do hội đồng chấm"),
    ]),
    ("2", "Xây dựng và tổ chức thực hiện văn bản", 8, [
        ("2.1", "", "Văn bản ban hành đúng thẩm quyền, đúng trình tự", 3, "yesno", "self", None, None, ""),
        ("2.2", "", "Rà soát, kiểm tra văn bản theo kế hoạch", 2, "proportional", "self", 100, None, "% văn bản được rà soát"),
        ("2.3", "", "Xử lý văn bản sai sót sau kiểm tra", 3, "proportional", "self", 100, None, "% văn bản đã xử lý"),
    ]),
    ("3", "Cải cách thủ tục hành chính", 16, [
        ("3.1", "", "Công khai đầy đủ thủ tục hành chính tại Bộ phận một cửa", 3, "yesno", "self", None, None, ""),
        ("3.2", "", "Tỷ lệ hồ sơ giải quyết đúng hạn", 6, "threshold", "self", None, [[98, 6], [95, 4], [90, 2]], "% hồ sơ đúng hạn"),
        ("3.3", "", "Thư xin lỗi với hồ sơ trễ hạn", 2, "proportional", "self", 100, None, "% hồ sơ trễ hạn có thư xin lỗi"),
        ("3.4", "", "Tiếp nhận, xử lý phản ánh, kiến nghị đúng hạn", 5, "proportional", "self", 100, None, "% phản ánh xử lý đúng hạn"),
    ]),
    ("4", "Tổ chức bộ máy", 8, [
        ("4.1", "", "Sắp xếp bộ máy, vị trí việc làm theo quy định", 4, "yesno", "self", None, None, ""),
        ("4.2", "", "Thực hiện quy chế làm việc và phân cấp", 4, "direct", "self", None, None, "điểm do hội đồng chấm"),
    ]),
    ("5", "Chế độ công vụ", 10, [
        ("5.1", "", "Bố trí công chức đúng vị trí việc làm", 3, "proportional", "self", 100, None, "% công chức đúng vị trí"),
        ("5.2", "", "Không có công chức vi phạm kỷ luật, kỷ cương trong năm", 4, "yesno", "self", None, None, ""),
        ("5.3", "", "Đào tạo, bồi dưỡng công chức", 3, "proportional", "self", 100, None, "% kế hoạch bồi dưỡng hoàn thành"),
    ]),
    ("6", "Tài chính công", 8, [
        ("6.1", "", "Công khai dự toán, quyết toán ngân sách", 3, "yesno", "self", None, None, ""),
        ("6.2", "", "Tỷ lệ giải ngân vốn đầu tư công", 5, "threshold", "self", None, [[95, 5], [80, 3], [60, 1]], "% giải ngân"),
    ]),
    ("7", "Xây dựng chính quyền số", 15, [
        ("7.1", "", "Hồ sơ trực tuyến toàn trình", 6, "proportional", "self", 80, None, "% hồ sơ trực tuyến toàn trình"),
        ("7.2", "", "Số hoá hồ sơ, kết quả giải quyết thủ tục", 5, "proportional", "self", 100, None, "% hồ sơ được số hoá"),
        ("7.3", "", "Thanh toán trực tuyến phí, lệ phí", 4, "threshold", "self", None, [[50, 4], [30, 2], [10, 1]], "% giao dịch trực tuyến"),
    ]),
    ("8", "Tác động của cải cách hành chính đến người dân", 25, [
        ("8.1", "", "Chỉ số hài lòng của người dân với phục vụ hành chính", 20, "proportional", "survey", 100, None, "% hài lòng (chỉ số của hệ thống)"),
        ("8.2", "", "Công khai kết quả giải quyết phản ánh, kiến nghị", 2, "yesno", "self", None, None, ""),
        ("8.3", "", "Tỷ lệ hồ sơ được người dân đánh giá", 3, "proportional", "self", 30, None, "% hồ sơ có đánh giá"),
    ]),
]
# fmt: on

WARDS = ["HN-CG-NT", "HN-CG-DV", "HN-NTL-MD1", "00166", "00160", "00004"]
# Where each ward stands this year (last year every ward was appraised).
THIS_YEAR_STATUS = {
    "HN-CG-NT": Status.SUBMITTED,  # waiting for appraiser_caugiay
    "HN-CG-DV": Status.APPRAISED,
    "HN-NTL-MD1": Status.APPRAISED,
    "00166": Status.APPRAISED,
    "00160": Status.DRAFT,
    "00004": Status.APPRAISED,
}
REASONS = [
    "Hồ sơ minh chứng chưa đầy đủ cho toàn bộ năm",
    "Số liệu không khớp với báo cáo quý gửi cấp trên",
    "Văn bản được ban hành sau thời hạn quy định",
    "Chưa có kết quả kiểm tra độc lập xác nhận",
]
USERS = [
    # (username, first, last, kind, unit code, note)
    ("appraiser_hanoi", "Minh", "Đặng", "appraiser", HANOI, "Hội đồng thẩm định CCHC Thành phố"),
    ("appraiser_caugiay", "Lan", "Phạm", "appraiser", "HN-CG", "Hội đồng thẩm định quận Cầu Giấy"),
    ("head_nghiatan", "Sơn", "Trần", "admin", "HN-CG-NT", ""),
]


def set_rows() -> list[dict[str, str]]:
    """The demo set in the spreadsheet format, so the demo goes through the importer."""
    rows = []
    for area_code, area_name, area_max, criteria in AREAS:
        rows.append(
            dict(zip(COLUMNS, [area_code, area_name, str(area_max)] + [""] * 9, strict=True))
        )
        for code, parent, name, maximum, rule, source, target, thresholds, figure in criteria:
            cells = [area_code, "", "", code, parent, name, str(maximum), rule, source]
            cells += ["" if target is None else str(target)]
            cells += [str(thresholds) if thresholds else "", figure]
            rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


def _draw(*parts: str) -> float:
    """A number in [0, 1) fixed by `parts`: the same demo on every run."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def self_figure(criterion: Criterion, unit_code: str, year: int) -> Decimal:
    d = _draw(unit_code, str(year), criterion.code)
    value: float
    if criterion.rule == Rule.YESNO:
        value = 1 if d < 0.85 else 0
    elif criterion.rule == Rule.DIRECT:
        value = float(criterion.max_points) * (0.5 + d / 2)
    elif criterion.rule == Rule.PROPORTIONAL:
        value = float(criterion.target or 0) * (0.7 + 0.35 * d)  # every demo one has a target
    else:
        top = max(float(low) for low, _points in criterion.threshold_pairs())
        value = top * (0.85 + 0.2 * d)
    return Decimal(str(round(value, 2)))


class Command(BaseCommand):
    help = "Load the demo PAR INDEX (criteria sets and two years of ward scores). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        if not AdministrativeUnit.objects.filter(code=HANOI).exists():
            raise CommandError("Run `manage.py load_demo` first.")
        this_year = timezone.localdate().year
        with transaction.atomic():
            people = self.load_users()
            last_set = self.load_set(this_year - 1)
            this_set = self.load_this_year(last_set, this_year)
            count = 0
            for code in WARDS:
                unit = AdministrativeUnit.objects.get(code=code)
                count += self.load_scores(last_set, unit, Status.APPRAISED, people)
                count += self.load_scores(this_set, unit, THIS_YEAR_STATUS[code], people)
        self.stdout.write(self.style.SUCCESS(f"Demo PAR INDEX ready: {count} scores."))

    def load_users(self) -> dict[str, User]:
        people: dict[str, User] = {}
        for username, first, last, kind, unit_code, note in USERS:
            user, created = get_user_model().objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.vn",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            unit = AdministrativeUnit.objects.get(code=unit_code)
            if kind == "appraiser":
                Appraiser.objects.update_or_create(user=user, unit=unit, defaults={"note": note})
            else:
                Membership.objects.update_or_create(
                    user=user, unit=unit, defaults={"role": Role.ADMIN}
                )
            people[username] = user
        return people

    def load_set(self, year: int) -> CriteriaSet:
        hanoi = AdministrativeUnit.objects.get(code=HANOI)
        found = CriteriaSet.objects.filter(issuer=hanoi, year=year, level=SetLevel.COMMUNE).first()
        if found:
            return found
        name = f"Hà Nội {year} · cấp xã (minh hoạ)"
        return save_set(
            parse(set_rows()), issuer=hanoi, year=year, level=SetLevel.COMMUNE, name=name
        )

    def load_this_year(self, last_set: CriteriaSet, year: int) -> CriteriaSet:
        found = CriteriaSet.objects.filter(
            issuer=last_set.issuer, year=year, level=last_set.level
        ).first()
        if found:
            return found
        copy = last_set.copy_to(year, f"Hà Nội {year} · cấp xã (minh hoạ)")
        # This year's revision: full points for online dossiers now need 90 %, not 80 %.
        revised = Criterion.objects.get(area__criteria_set=copy, code="7.1")
        revised.target = Decimal(90)
        revised.save(update_fields=["target"])
        return copy

    def load_scores(
        self,
        criteria_set: CriteriaSet,
        unit: AdministrativeUnit,
        status: Status,
        people: dict[str, User],
    ) -> int:
        assessment = Assessment.start(criteria_set, unit)
        leaves = criteria_set.leaf_criteria().filter(source=Source.SELF).order_by("code")
        appraiser = people[
            "appraiser_caugiay" if unit.code.startswith("HN-CG") else "appraiser_hanoi"
        ]
        appraised = status == Status.APPRAISED or (
            status == Status.SUBMITTED and unit.code != "HN-CG-NT"
        )
        for criterion in leaves:
            figure = self_figure(criterion, unit.code, criteria_set.year)
            values = {
                "self_value": figure,
                "evidence_note": f"Báo cáo CCHC năm {criteria_set.year}, mục {criterion.code}",
            }
            d = _draw("cut", unit.code, str(criteria_set.year), criterion.code)
            if appraised and d < 0.22:
                values["appraised_value"] = (figure * Decimal("0.8")).quantize(Decimal("0.01"))
                if criterion.rule == Rule.YESNO:
                    values["appraised_value"] = Decimal(0)
                values["appraisal_reason"] = REASONS[int(d * 100) % len(REASONS)]
                values["appraised_by"] = appraiser
            self._write(assessment, criterion, values)
        self._set_status(assessment, status, people, appraiser)
        if unit.code == "HN-CG-NT" and not assessment.evidence.exists():
            item = Evidence(
                assessment=assessment,
                criterion=leaves.get(code="1.1"),
                uploaded_by=people["head_nghiatan"],
            )
            item.file.save("ke-hoach-cchc.pdf", ContentFile(b"%PDF-1.4\n% demo evidence\n%%EOF\n"))
        return len(leaves)

    @staticmethod
    def _write(assessment: Assessment, criterion: Criterion, values: dict[str, object]) -> None:
        score = Score.objects.filter(assessment=assessment, criterion=criterion).first()
        if score and all(getattr(score, k) == v for k, v in values.items()):
            return
        score = score or Score(assessment=assessment, criterion=criterion)
        for key, value in values.items():
            setattr(score, key, value)
        score.self_at = score.self_at or timezone.now()
        if "appraised_value" in values:
            score.appraised_at = score.appraised_at or timezone.now()
        score.save()

    @staticmethod
    def _set_status(
        assessment: Assessment, status: Status, people: dict[str, User], appraiser: User
    ) -> None:
        if assessment.status == status:
            return
        if status in (Status.SUBMITTED, Status.APPRAISED) and not assessment.submitted_at:
            assessment.submit(
                people["head_nghiatan"] if assessment.unit.code == "HN-CG-NT" else None
            )
        if status == Status.APPRAISED:
            assessment.finish_appraisal(appraiser)
