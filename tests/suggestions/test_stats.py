"""Monthly figures on hand-computed cases (the contract the monthly report reads).

Office A is in Hà Nội (UTC+7); deadlines are 2 working days to be seen and 10 to
be answered. March 2025 starts on a Saturday.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from offices.models import Office
from suggestions.models import Suggestion
from suggestions.stats import SuggestionFigures, monthly_figures, monthly_figures_by_office
from tests.suggestions.conftest import make_suggestion

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=HANOI)


def suggestion(office, arrived, *, seen=None, answered=None, closed=None):
    made = make_suggestion(office, when=arrived)
    Suggestion.objects.filter(pk=made.pk).update(
        first_seen_at=seen, answered_at=answered, closed_at=closed
    )
    return made


@pytest.fixture
def march(tree):
    a = tree.office_a
    # s1 Mon 3 Mar 09:00: due seen end of Wed 5, answered end of Mon 17. Seen after 25 h,
    # answered after 7 days: both in time.
    suggestion(a, at(2025, 3, 3, 9), seen=at(2025, 3, 4, 10), answered=at(2025, 3, 10, 9))
    # s2 Fri 7 Mar 16:00: due seen end of Tue 11, answered end of Fri 21. Seen Wed 12 08:00
    # (4 d 16 h, late), answered 2 Apr 16:00 (26 days, late, after the month's end).
    suggestion(a, at(2025, 3, 7, 16), seen=at(2025, 3, 12, 8), answered=at(2025, 4, 2, 16))
    # s3 Sat 15 Mar 10:00: due seen end of Tue 18, answered end of Fri 28. Seen after
    # exactly 2 days (in time), never answered.
    suggestion(a, at(2025, 3, 15, 10), seen=at(2025, 3, 17, 10))
    # s4 Mon 31 Mar 23:30 local (16:30 UTC, still March in Hà Nội): never seen.
    suggestion(a, at(2025, 3, 31, 23, 30))
    # s5 1 Apr 00:30 local (still 31 Mar in UTC): April, not March.
    suggestion(a, at(2025, 4, 1, 0, 30))
    # s6 Thu 20 Feb: never seen nor answered — March's backlog, open and overdue.
    suggestion(a, at(2025, 2, 20, 9))
    # s7 closed in February without an answer: neither open nor overdue in March.
    suggestion(a, at(2025, 2, 3, 9), closed=at(2025, 2, 5, 9))
    # Office B, seen in time, answered in time.
    suggestion(
        tree.office_b, at(2025, 3, 5, 9), seen=at(2025, 3, 5, 15), answered=at(2025, 3, 6, 9)
    )


EXPECTED_A = SuggestionFigures(
    received=4,  # s1 s2 s3 s4
    seen_in_time=2,  # s1 s3
    seen_assessable=4,  # s4's deadline (3 Apr 2025) has long passed
    answered_in_time=1,  # s1
    answer_assessable=4,
    median_days_to_seen=2.0,  # of 1.04, 4.67, 2.0
    median_days_to_answer=16.5,  # of 7 and 26
    open=4,  # s2 (answered only in April) s3 s4 s6
    overdue=3,  # s2 and s3 past the answer deadline, s6 both; s4 not yet due on 1 Apr
)


def test_office_figures_for_march_match_the_hand_count(tree, march, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = monthly_figures([tree.office_a.pk], MARCH, APRIL)
    assert figures == EXPECTED_A
    assert figures.seen_in_time_pct == 50.0
    assert figures.answered_in_time_pct == 25.0


def test_figures_per_office_come_from_one_grouped_query(tree, march, django_assert_num_queries):
    offices = [tree.office_a.pk, tree.office_b.pk, tree.office_c.pk]
    with django_assert_num_queries(1):
        by_office = monthly_figures_by_office(offices, MARCH, APRIL)
    assert by_office[tree.office_a.pk] == EXPECTED_A
    b = by_office[tree.office_b.pk]
    assert (b.received, b.seen_in_time, b.answered_in_time, b.open, b.overdue) == (1, 1, 1, 0, 0)
    assert b.median_days_to_seen == 0.25 and b.median_days_to_answer == 1.0
    assert by_office[tree.office_c.pk] == SuggestionFigures()
    assert by_office[tree.office_c.pk].seen_in_time_pct is None


def test_figures_over_several_offices_add_up(tree, march):
    together = monthly_figures([tree.office_a.pk, tree.office_b.pk], MARCH, APRIL)
    assert (together.received, together.seen_in_time, together.answered_in_time) == (5, 3, 2)
    assert together.median_days_to_seen == 1.52  # (1.04 + 2.0) / 2, of 0.25, 1.04, 2.0, 4.67


def test_april_counts_the_suggestion_that_arrived_after_local_midnight(tree, march):
    april = monthly_figures([tree.office_a.pk], APRIL, date(2025, 5, 1))
    assert april.received == 1


def test_a_fresh_suggestion_is_open_but_not_yet_judged(tree):
    make_suggestion(tree.office_a, when=timezone.now() - timedelta(hours=1))
    today = timezone.localdate()
    figures = monthly_figures([tree.office_a.pk], today.replace(day=1), today + timedelta(days=1))
    assert (figures.received, figures.open, figures.overdue) == (1, 1, 0)
    assert figures.seen_assessable == 0 and figures.seen_in_time_pct is None


def test_no_offices_give_zero_figures():
    assert monthly_figures([], MARCH, APRIL) == SuggestionFigures()
    assert monthly_figures_by_office([], MARCH, APRIL) == {}


def test_a_queryset_of_visible_offices_works_as_a_subquery(
    tree, march, carol, django_assert_num_queries
):
    visible = Office.objects.visible_to(carol).filter(pk=tree.office_a.pk).values("pk")
    with django_assert_num_queries(1):
        assert monthly_figures(visible, MARCH, APRIL) == EXPECTED_A
