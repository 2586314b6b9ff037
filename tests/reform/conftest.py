"""PAR INDEX fixtures on top of the shared tree and personas (tests/conftest.py).

A small commune-level set issued by the city, hand-sized so its totals can be worked
out on paper:

    Area 1 (max 5):  1.1 yes/no (2) · 1.2 threshold ≥95 → 3, ≥80 → 1 (3) ·
                     1.3 with sub-criteria (max 2): 1.3.1 yes/no (1.5), 1.3.2 direct (1.5)
    Area 2 (max 10): 2.1 proportional, 6 points at 80 % · 2.2 from the survey, 4 points at 100 %

hank is ward A's admin (submits); vera appraises under Cầu Giấy district (ward A);
yuri appraises under Nam Từ Liêm district (ward B) and must see nothing of ward A.
"""

from decimal import Decimal

import pytest

from offices.models import Role
from reform.models import Appraiser, Area, Assessment, CriteriaSet, Criterion, Score
from tests.factories import MembershipFactory, UserFactory


def make_set(issuer, year=2025, name=None) -> CriteriaSet:
    criteria_set = CriteriaSet.objects.create(
        issuer=issuer, year=year, level="commune", name=name or f"Hà Nội {year} · cấp xã"
    )
    one = Area.objects.create(criteria_set=criteria_set, code="1", name="Chỉ đạo", max_points=5)
    two = Area.objects.create(
        criteria_set=criteria_set, code="2", name="Chính quyền số", max_points=10, position=1
    )
    add = Criterion.objects.create
    add(area=one, code="1.1", name="Kế hoạch", max_points=2, rule="yesno", position=0)
    add(area=one, code="1.2", name="Đúng hạn", max_points=3, rule="threshold",
        thresholds=[[95, 3], [80, 1]], position=1)  # fmt: skip
    parent = add(area=one, code="1.3", name="Tuyên truyền", max_points=2, rule="direct", position=2)
    add(area=one, parent=parent, code="1.3.1", name="Có kế hoạch", max_points="1.5", rule="yesno")
    add(area=one, parent=parent, code="1.3.2", name="Tin bài", max_points="1.5", rule="direct",
        position=1)  # fmt: skip
    add(area=two, code="2.1", name="Trực tuyến", max_points=6, rule="proportional", target=80)
    add(area=two, code="2.2", name="Hài lòng", max_points=4, rule="proportional", target=100,
        source="survey", position=1)  # fmt: skip
    return criteria_set


def criteria(criteria_set) -> dict[str, Criterion]:
    return {c.code: c for c in Criterion.objects.filter(area__criteria_set=criteria_set)}


def score_all(assessment, values: dict[str, str], appraised: dict[str, str] | None = None):
    by_code = criteria(assessment.criteria_set)
    for code, value in values.items():
        Score.objects.update_or_create(
            assessment=assessment,
            criterion=by_code[code],
            defaults={
                "self_value": Decimal(value),
                "appraised_value": Decimal(appraised[code])
                if appraised and code in appraised
                else None,
                "appraisal_reason": "Thiếu minh chứng" if appraised and code in appraised else "",
            },
        )


@pytest.fixture
def par_set(tree):
    return make_set(tree.city)


@pytest.fixture
def hank(tree):
    """Ward A's admin: submits the self-assessment."""
    user = UserFactory(username="hank")
    MembershipFactory(user=user, unit=tree.ward_a, role=Role.ADMIN)
    return user


@pytest.fixture
def vera(tree):
    """Appraiser under Cầu Giấy district (ward A below it); no membership."""
    user = UserFactory(username="vera")
    Appraiser.objects.create(user=user, unit=tree.district_a, note="Hội đồng quận")
    return user


@pytest.fixture
def yuri(tree):
    """Appraiser under Nam Từ Liêm district (ward B): ward A is outside his scope."""
    user = UserFactory(username="yuri")
    Appraiser.objects.create(user=user, unit=tree.district_b, note="Hội đồng quận")
    return user


@pytest.fixture
def private_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def assessment_a(tree, par_set):
    return Assessment.start(par_set, tree.ward_a)
