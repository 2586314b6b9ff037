"""The PAR INDEX in reports: the survey criterion filled from the product's own index,
the ranking of sibling units, the unit page over the years, and their scope."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from inspections.models import Inspection
from reform.models import Assessment, Status
from reports.indices import satisfaction_summary
from reports.reform import index_figure, par_results
from tests.factories import QuestionFactory, make_response, survey_version
from tests.reform.conftest import score_all

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(year, month, day):
    return datetime(year, month, day, 4, 0, tzinfo=UTC)  # 11:00 in Hà Nội


@pytest.fixture
def ratings(tree):
    """Ward A in 2025: three ratings 5, 4, 2 → 2 of 3 satisfied. Around them, ratings that
    must not count: ward A in 2024 and 2026, and ward B in 2025."""
    question = QuestionFactory(code="officials_polite", factor="officials")
    version = survey_version(tree.city, [question])
    for score in (5, 4, 2):
        make_response(version, tree.office_a, {question: score}, when=at(2025, 6, 10))
    make_response(version, tree.office_a, {question: 1}, when=at(2024, 12, 20))
    make_response(version, tree.office_a, {question: 1}, when=at(2026, 1, 5))
    make_response(version, tree.office_b, {question: 1}, when=at(2025, 6, 10))
    return question


@pytest.fixture
def appraised_a(assessment_a):
    score_all(
        assessment_a,
        {"1.1": "1", "1.2": "96", "1.3.1": "1", "1.3.2": "1.5", "2.1": "72"},
        appraised={"1.1": "0", "2.1": "40"},
    )
    assessment_a.status = Status.APPRAISED
    assessment_a.save()
    return assessment_a


def test_the_survey_criterion_equals_the_products_own_index_for_the_year(
    tree, par_set, appraised_a, ratings
):
    (result,) = par_results([appraised_a])
    own = satisfaction_summary(
        [tree.office_a.pk], datetime(2025, 1, 1).date(), datetime(2026, 1, 1).date()
    )
    assert result.satisfaction.n == own.n == 3
    assert result.satisfaction.overall == own.overall == pytest.approx(2 / 3)
    assert index_figure(result.satisfaction) == Decimal("66.67")
    assert result.satisfaction.small_sample  # 3 ratings, below 30
    (survey,) = result.survey_scores
    assert survey.criterion.code == "2.2" and survey.points == Decimal("2.67")  # 4 × 66.67 ÷ 100
    # Self-assessed: area 1 capped at 5; area 2: 5.40 + 2.67. After appraisal: 1.1 → 0
    # (area 1: 0 + 3 + 2 = 5), 2.1 → 6 × 40 ÷ 80 = 3.00 (area 2: 3.00 + 2.67).
    assert result.self_total == Decimal("13.07")
    assert result.total == Decimal("10.67")
    assert [(c.criterion_code, c.amount) for c in result.cuts] == [
        ("2.1", Decimal("2.40")),
        ("1.1", Decimal("2.00")),
    ]


def test_without_ratings_the_survey_criterion_scores_nothing(tree, par_set, appraised_a):
    (result,) = par_results([appraised_a])
    assert result.satisfaction.overall is None
    assert result.survey_scores[0].points is None
    assert not result.final_score.complete


def test_the_unit_page_shows_index_n_interval_and_the_small_sample_warning(
    client_for, alice, tree, par_set, appraised_a, ratings
):
    response = client_for(alice).get(
        reverse("reports:reform_unit", args=[tree.ward_a.pk]), {"year": 2025}, **EN
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "over 3 valid ratings" in body
    assert "Small sample" in body
    assert "10.67" in body and "13.07" in body


def test_the_unit_page_puts_the_three_measures_side_by_side(
    client_for, carol, tree, par_set, appraised_a, ratings
):
    inspection = Inspection.objects.create(
        unit=tree.ward_a, office=tree.office_a, inspecting_body="Sở Nội vụ",
        inspecting_level="department", date=datetime(2025, 3, 2).date(), scope="Kỷ luật",
    )  # fmt: skip
    inspection.cases.create(person="Nguyễn Văn A", breach="Đi muộn", measure="reprimand",
                            date=datetime(2025, 3, 9).date())  # fmt: skip
    inspection.cases.create(person="Trần Văn B", breach="Vắng mặt", measure="warning",
                            date=datetime(2025, 3, 9).date())  # fmt: skip
    last = par_set.copy_to(2024, "Hà Nội 2024")
    previous = Assessment.start(last, tree.ward_a)
    score_all(previous, {"1.1": "0", "1.2": "80", "1.3.1": "0", "1.3.2": "1", "2.1": "40"})
    previous.status = Status.APPRAISED
    previous.save()
    response = client_for(carol).get(
        reverse("reports:reform_unit", args=[tree.ward_a.pk]), {"year": 2025}, **EN
    )
    page = response.context["page"]
    by_year = {row.year: row for row in page.years}
    assert by_year[2025].par.total == Decimal("10.67")
    assert by_year[2024].par.total == Decimal("5.00")  # 0 + 1 + 1 ; 3.00 + 0 (no 2024 index)
    assert by_year[2025].satisfaction.n == 3 and by_year[2024].satisfaction.n == 1
    assert (by_year[2025].inspections, by_year[2025].cases) == (1, 2)
    assert (by_year[2024].inspections, by_year[2024].cases) == (0, 0)
    area_one = page.areas[0]
    assert (area_one.final_points, area_one.last_year, area_one.change) == (
        Decimal(5), Decimal(2), Decimal(3),
    )  # fmt: skip


@pytest.fixture
def siblings(tree, par_set, appraised_a):
    b = Assessment.start(par_set, tree.ward_b)
    score_all(b, {"1.1": "1", "1.2": "99", "1.3.1": "1", "1.3.2": "1.5", "2.1": "80"})
    b.status = Status.SUBMITTED
    b.save()
    c = Assessment.start(par_set, tree.ward_c)
    score_all(c, {"1.1": "1"})
    return appraised_a, b, c


def test_the_ranking_orders_siblings_by_final_score_with_the_self_assessed_beside(
    client_for, carol, tree, par_set, siblings, django_assert_max_num_queries
):
    client = client_for(carol)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("reports:reform_ranking"), {"unit": tree.city.pk}, **EN)
    assert response.status_code == 200
    rows = response.context["ranking"].results
    assert [(r.unit.code, r.rank) for r in rows] == [
        ("HN-NTL-MD1", 1),  # 5 + 6 = 11.00 (submitted, not yet appraised: final = self)
        ("HN-CG-NT", 2),  # 8.00 after appraisal, self-assessed 10.40
        ("00004", None),  # still a draft: listed last, unranked
    ]
    assert rows[1].total == Decimal("8.00") and rows[1].self_total == Decimal("10.40")
    body = response.content.decode()
    assert "Largest appraisal cuts" in body and "Thiếu minh chứng" in body


def test_the_ranking_is_scoped(client_for, alice, yuri, tree, par_set, siblings):
    rows = client_for(alice).get(reverse("reports:reform_ranking")).context["ranking"].results
    assert [r.unit.code for r in rows] == ["HN-CG-NT"]
    response = client_for(alice).get(reverse("reports:reform_ranking"), {"unit": tree.city.pk})
    assert response.status_code == 404
    rows = client_for(yuri).get(reverse("reports:reform_ranking")).context["ranking"].results
    assert [r.unit.code for r in rows] == ["HN-NTL-MD1"]
    assert (
        client_for(yuri)
        .get(reverse("reports:reform_ranking"), {"unit": tree.district_a.pk})
        .status_code
        == 404
    )


def test_the_unit_page_reads_in_a_fixed_number_of_queries(
    client_for, carol, tree, par_set, siblings, ratings, django_assert_max_num_queries
):
    # Measured: 21 with one year scored; a second scored year adds the trees and scores
    # of its set, not a query per criterion or per year shown.
    url = reverse("reports:reform_unit", args=[tree.ward_a.pk])
    client = client_for(carol)
    with django_assert_max_num_queries(30):
        assert client.get(url, {"year": 2025}).status_code == 200
