"""A report's newest comments are found through the small index of commented ratings, last
days first, and are exactly the newest of the month's whole list: same answers, same order,
same desk labels, hidden ones and flagged ratings as before, and only the subject's own."""

from datetime import datetime

import pytest
from django.urls import reverse

from common.months import Month
from reports.comments import comments_for, newest_comments
from reports.subjects import resolve_subject
from surveys.models import Answer, Response
from tests.factories import DeskFactory, StaffFactory
from tests.reports.conftest import HANOI

pytestmark = pytest.mark.django_db

MARCH = Month(2026, 3)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, 5, tzinfo=HANOI)


@pytest.fixture
def month_of_comments(tree, rate, settings):
    """Comments across Hà Nội in March: early in the month, then on its last two days; one
    on a desk whose lone officer is below the minimum; a flagged one; ratings without."""
    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 10}
    lone = DeskFactory(office=tree.office_b, number="07", name="Đất đai")
    hung = StaffFactory(office=tree.office_b, desk=lone, full_name="Phạm Văn Hùng")
    for day, office in ((2, tree.office_a), (3, tree.office_b), (5, tree.office_c)):
        rate(office, when=at(day), officials=4, comment=f"Góp ý ngày {day}")
    rate(tree.office_b, desk=lone, staff=hung, when=at(20), officials=1, comment="Quầy 07 chậm")
    rate(tree.office_a, when=at(30, 10), officials=5, comment="Rất nhanh")
    rate(tree.office_c, when=at(31, 8), officials=3, comment="Ghế ít")
    rate(tree.office_a, when=at(31, 15), officials=2, comment="Quảng cáo", misuse=True)
    for day in (1, 30, 31):
        rate(tree.office_b, when=at(day, 11), officials=5)  # no comment
    return {"lone": lone}


def texts(answers) -> list[str]:
    return [answer.text for answer in answers]


def same_as_the_whole_list(subject, limit: int, include_hidden: bool = False) -> list:
    whole = list(comments_for(subject, MARCH, include_hidden=include_hidden)[:limit])
    newest = newest_comments(subject, MARCH, include_hidden=include_hidden, limit=limit)
    assert [(a.pk, a.desk_label or "") for a in newest] == [
        (a.pk, a.desk_label or "") for a in whole
    ]
    return newest


def test_recording_a_rating_marks_whether_it_carries_a_comment(tree, month_of_comments):
    commented = set(
        Answer.objects.exclude(text="").values_list("response_id", flat=True).distinct()
    )
    assert len(commented) == 7
    assert set(Response.objects.filter(has_comment=True).values_list("pk", flat=True)) == commented
    assert Response.objects.filter(has_comment=False).count() == 3


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_the_newest_comments_of_a_city_are_the_newest_of_its_whole_month(
    carol, tree, month_of_comments, limit
):
    """Two fit in the month's last days; more than that reads further back."""
    city = resolve_subject(carol, "unit", tree.city.pk)
    assert not city.is_ward_level  # the path through the last days is taken
    newest = same_as_the_whole_list(city, limit)
    expected = ["Ghế ít", "Rất nhanh", "Quầy 07 chậm", "Góp ý ngày 5", "Góp ý ngày 3"]
    expected.append("Góp ý ngày 2")
    assert texts(newest) == expected[:limit]  # the flagged rating's comment is not there
    if limit >= 3:  # the desk would name the officer below the minimum: no label
        lone = next(a for a in newest if a.text == "Quầy 07 chậm")
        assert lone.desk_label == "" and lone.response.desk == month_of_comments["lone"]


def test_hidden_comments_only_for_moderators_and_other_units_never(
    carol, dora, tree, month_of_comments
):
    Answer.objects.filter(text="Rất nhanh").update(is_hidden=True)
    city = resolve_subject(carol, "unit", tree.city.pk)
    assert "Rất nhanh" not in texts(same_as_the_whole_list(city, 3))
    assert "Rất nhanh" in texts(same_as_the_whole_list(city, 3, include_hidden=True))
    # Cầu Giấy district holds office A only: its newest are A's, never B's or C's.
    district = resolve_subject(dora, "unit", tree.district_a.pk)
    assert texts(same_as_the_whole_list(district, 10, include_hidden=True)) == [
        "Rất nhanh",
        "Góp ý ngày 2",
    ]


def test_the_city_report_page_shows_its_newest_comments_and_a_district_only_its_own(
    client_for, carol, dora, tree, month_of_comments
):
    page = client_for(carol).get(
        reverse("reports:report", kwargs={"kind": "unit", "pk": tree.city.pk, "month": "2026-03"})
    )
    assert page.status_code == 200
    assert texts(page.context["comments"])[:2] == ["Ghế ít", "Rất nhanh"]
    assert "Quảng cáo" not in page.text
    district = client_for(dora).get(
        reverse(
            "reports:report", kwargs={"kind": "unit", "pk": tree.district_a.pk, "month": "2026-03"}
        )
    )
    assert texts(district.context["comments"]) == ["Rất nhanh", "Góp ý ngày 2"]
    assert "Ghế ít" not in district.text
    # Dora's scope stops at her district: the city's report is not hers to read.
    denied = client_for(dora).get(
        reverse("reports:report", kwargs={"kind": "unit", "pk": tree.city.pk, "month": "2026-03"})
    )
    assert denied.status_code == 404
