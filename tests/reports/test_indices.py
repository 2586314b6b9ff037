"""Index arithmetic on hand-computed cases, Wilson intervals, months and rankings."""

from datetime import date, datetime

import pytest

from common.months import Month, MonthError
from reports.indices import (
    QuestionTally,
    RankedRow,
    empty_summary,
    rank_rows,
    response_rate,
    satisfaction_summary,
    summarise,
    top_reasons,
    weekday_hour_counts,
    wilson_interval,
)
from tests.factories import QuestionFactory, make_response
from tests.reports.conftest import HANOI

MARCH = (date(2026, 3, 1), date(2026, 4, 1))


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Reference values (Wilson 1927; Newcombe 1998, Table I; R binom::binom.wilson).
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
        (81, 263, 0.2553, 0.3662),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    got_low, got_high = wilson_interval(successes, n)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_is_none_without_ratings():
    assert wilson_interval(0, 0) is None


def test_no_ratings_gives_no_index_and_a_small_sample(tree):
    summary = satisfaction_summary([tree.office_a.pk], *MARCH)
    assert (summary.n, summary.excluded, summary.overall) == (0, 0, None)
    assert summary.ci_low is None and summary.ci_high is None
    assert summary.small_sample
    assert summary == empty_summary()


def test_all_flagged_ratings_are_excluded_and_counted(tree, rate):
    for _ in range(3):
        rate(tree.office_a, access=5, officials=5, misuse=True)
    summary = satisfaction_summary([tree.office_a.pk], *MARCH)
    assert (summary.n, summary.excluded, summary.overall) == (0, 3, None)


def test_one_rating_index_is_mean_of_factor_shares(tree, rate):
    rate(tree.office_a, access=5, procedures=3, officials=4)
    summary = satisfaction_summary([tree.office_a.pk], *MARCH)
    assert summary.n == 1 and summary.excluded == 0
    # access 1, procedures 0, officials 1 → (1 + 0 + 1) / 3
    assert summary.overall == pytest.approx(2 / 3)
    assert (summary.ci_low, summary.ci_high) == pytest.approx(wilson_interval(2 / 3, 1))
    assert summary.mean_score == pytest.approx(4.0)
    assert summary.small_sample


def test_questions_average_within_a_factor_then_factors_average(tree, rate, bank):
    # Two questions in "officials": officials 5,4,2 → 2/3; a yes/no one yes,no,yes → 2/3.
    # Access 1,2,3 → 0. Officials factor = 2/3, overall = (2/3 + 0) / 2 = 1/3.
    guided = QuestionFactory(code="guided", kind="yesno", factor="officials")
    for officials, access, yes in [(5, 1, 1), (4, 2, 0), (2, 3, 1)]:
        response = rate(tree.office_a, officials=officials, access=access)
        make_response(
            response.survey_version, tree.office_a, {guided: yes}, when=response.submitted_at
        )
    summary = satisfaction_summary([tree.office_a.pk], *MARCH)
    factors = {f.factor: f.share for f in summary.factors}
    assert factors == pytest.approx({"officials": 2 / 3, "access": 0.0})
    assert summary.overall == pytest.approx(1 / 3)
    assert summary.n == 6
    assert summary.index_n == 3


def test_conduct_questions_are_yes_rates_outside_the_overall(tree, rate):
    rate(tree.office_a, access=5, greet=1)
    rate(tree.office_a, access=5, greet=0)
    rate(tree.office_a, access=5, greet=0)
    summary = satisfaction_summary([tree.office_a.pk], *MARCH)
    assert summary.overall == 1.0
    (greet,) = summary.conduct
    assert (greet.code, greet.n, greet.share) == ("greet", 3, pytest.approx(1 / 3))


def test_distribution_counts_the_five_levels(tree, rate):
    for score in (5, 5, 4, 1):
        rate(tree.office_a, access=score)
    summary = satisfaction_summary([tree.office_a.pk], *MARCH)
    assert [(d.score, d.count) for d in summary.distribution] == [
        (5, 2),
        (4, 1),
        (3, 0),
        (2, 0),
        (1, 1),
    ]
    assert summary.mean_score == pytest.approx(15 / 4)


def test_days_outside_the_period_and_other_offices_are_left_out(tree, rate):
    rate(tree.office_a, access=5)
    rate(tree.office_a, access=1, when=datetime(2026, 4, 1, 0, 30, tzinfo=HANOI))
    rate(tree.office_b, access=1)
    summary = satisfaction_summary([tree.office_a.pk], *MARCH)
    assert (summary.n, summary.overall) == (1, 1.0)


def test_small_sample_threshold_comes_from_settings(tree, rate, settings):
    settings.SURVEY = {**settings.SURVEY, "SMALL_SAMPLE_N": 2}
    rate(tree.office_a, access=5)
    assert satisfaction_summary([tree.office_a.pk], *MARCH).small_sample
    rate(tree.office_a, access=5)
    assert not satisfaction_summary([tree.office_a.pk], *MARCH).small_sample


def test_top_reasons_are_counted_by_choice(tree, rate):
    rate(tree.office_a, officials=1, reasons=["slow", "rude"])
    rate(tree.office_a, officials=2, reasons=["slow"])
    reasons = top_reasons([tree.office_a.pk], *MARCH)
    assert [(r.text, r.count) for r in reasons] == [("Chờ lâu", 2), ("Thái độ", 1)]
    assert reasons[0].share == pytest.approx(2 / 3)


def test_response_rate_is_unknown_without_dossier_figures(tree, rate):
    from offices.models import DossierCount

    rate(tree.office_a, access=5)
    rate(tree.office_b, access=5)
    assert not response_rate([tree.office_a.pk], *MARCH).known
    DossierCount.objects.create(office=tree.office_a, month=MARCH[0], dossiers_handled=4)
    both = response_rate([tree.office_a.pk, tree.office_b.pk], *MARCH)
    assert (both.rate, both.ratings, both.dossiers) == (0.25, 1, 4)
    assert (both.offices_with_figures, both.offices_rated, both.complete) == (1, 2, False)


def test_heat_map_counts_by_local_weekday_and_hour(tree, rate):
    rate(tree.office_a, access=5, when=datetime(2026, 3, 10, 9, 15, tzinfo=HANOI))  # Tuesday
    rate(tree.office_a, access=5, when=datetime(2026, 3, 10, 9, 45, tzinfo=HANOI))
    rate(tree.office_a, access=5, when=datetime(2026, 3, 10, 9, 50, tzinfo=HANOI), misuse=True)
    assert weekday_hour_counts([tree.office_a.pk], *MARCH) == {(2, 9): 2}


def _row(label, share, n):
    """A ranking row whose index is `share` among n ratings (one question)."""
    tally = QuestionTally(1, "q", "scale5", "access", {"vi": "q"})
    satisfied = round(share * n)
    tally.add(5, satisfied)
    tally.add(1, n - satisfied)
    return RankedRow(key=label, label=label, summary=summarise({1: tally}, n, 0))


def test_ranking_shares_a_rank_when_intervals_overlap():
    rows = rank_rows([_row("C", 0.5, 400), _row("A", 0.95, 400), _row("B", 0.93, 400)])
    assert [(r.label, r.rank, r.tied) for r in rows] == [
        ("A", 1, True),
        ("B", 1, True),
        ("C", 3, False),
    ]


def test_ranking_hides_rows_below_the_minimum_n():
    rows = rank_rows([_row("small", 1.0, 3), _row("big", 0.5, 50)], min_n=10)
    assert [(r.label, r.rank, r.hidden) for r in rows] == [("big", 1, False), ("small", None, True)]


def test_month_navigation_and_bounds():
    march = Month(2026, 3)
    assert (march.start, march.end) == (date(2026, 3, 1), date(2026, 4, 1))
    assert Month(2026, 12).end == date(2027, 1, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert march.same_month_last_year() == Month(2025, 3)
    assert march.last(13)[0] == Month(2025, 3) and march.last(13)[-1] == march
    assert Month(2026, 1).minus(13) == Month(2024, 12)


@pytest.mark.parametrize(
    "text", ["", "2026", "2026-13", "2026-00", "1999-12", "0000-01", "26-03", "2026-3", "x"]
)
def test_month_parse_refuses_malformed_or_out_of_range(text):
    with pytest.raises(MonthError):
        Month.parse(text)


def test_month_parse_refuses_the_future():
    with pytest.raises(MonthError):
        Month.parse(str(Month.current().next()))
    assert Month.parse(str(Month.current())) == Month.current()


def test_ungrouped_summary_counts_every_rating_across_offices_days_and_hours(tree):
    """Regression: with no grouping the count query grouped by every roll-up column and
    kept one row, so `n` was one day-hour's ratings instead of the period's."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from reports.indices import satisfaction_summary
    from tests.factories import QuestionFactory, make_response, survey_version

    version = survey_version(tree.city, [QuestionFactory(code="overall-ungrouped")])
    question = version.ordered_items()[0].question
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    moments = [datetime(2026, 3, day, hour, tzinfo=hanoi) for day in (2, 3) for hour in (8, 14)]
    for office in (tree.office_a, tree.office_b):
        for moment in moments:
            make_response(version, office, {question: 5}, when=moment)
    make_response(version, tree.office_a, {question: 1}, when=moments[0], misuse=True)
    summary = satisfaction_summary(
        [tree.office_a.pk, tree.office_b.pk], date(2026, 3, 1), date(2026, 4, 1)
    )
    assert (summary.n, summary.excluded) == (8, 1)


def test_whole_months_read_the_monthly_grain_with_the_same_figures(tree):
    """Unit-level figures come from the monthly roll-up; forcing the daily one (any
    `where`) must give identical summaries, trend and reasons."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from common.months import Month
    from reports.indices import monthly_summaries, satisfaction_summary, top_reasons
    from tests.factories import ChoiceFactory, QuestionFactory, make_response, survey_version

    reasons = QuestionFactory(code="why-grain", kind="multi", factor="")
    slow = ChoiceFactory(question=reasons, code="slow-grain")
    overall = QuestionFactory(code="overall-grain", reasons=reasons)
    polite = QuestionFactory(code="polite-grain", kind="yesno", factor="conduct")
    version = survey_version(tree.city, [overall, polite, reasons], required=False)
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    for month, scores in ((2, [5, 4, 2]), (3, [5, 1, 3, 4])):
        for index, score in enumerate(scores):
            office = (tree.office_a, tree.office_b)[index % 2]
            answers = {overall: score, polite: index % 2}
            if score <= 2:
                answers[reasons] = [slow]
            when = datetime(2026, month, 1 + index, 9, tzinfo=hanoi)
            make_response(version, office, answers, when=when, desk=tree.desk_a if index else None)
    offices = [tree.office_a.pk, tree.office_b.pk, tree.office_c.pk]
    daily = Q(office__isnull=False)  # any condition keeps the daily table
    start, end = date(2026, 2, 1), date(2026, 4, 1)
    with CaptureQueriesContext(connection) as queries:
        monthly_summary = satisfaction_summary(offices, start, end)
    assert all("surveys_monthly" in q["sql"] for q in queries.captured_queries)
    assert monthly_summary == satisfaction_summary(offices, start, end, where=daily)
    assert monthly_summary.n == 7
    months = Month(2026, 3).last(2)
    assert monthly_summaries(offices, months) == monthly_summaries(offices, months, where=daily)
    assert top_reasons(offices, start, end) == top_reasons(offices, start, end, where=daily)
    # A period that does not start on the 1st cannot use whole months.
    with CaptureQueriesContext(connection) as queries:
        satisfaction_summary(offices, date(2026, 2, 2), end)
    assert not any("surveys_monthly" in q["sql"] for q in queries.captured_queries)


def test_the_index_alone_is_the_summary_index_to_the_last_digit():
    """The index rule of the alerts compares thousands of office-months with
    `index_figures`; it must give what `summarise` (every report) gives, bit for bit."""
    import random

    from reports.indices import QuestionTally, index_figures, summarise
    from surveys.models import SIPAS_FACTORS, YES, QuestionKind

    rng = random.Random(17)
    factors = [*SIPAS_FACTORS, "conduct", ""]
    for _case in range(300):
        tallies = {}
        for qid in range(rng.randint(0, 9)):
            kind = rng.choice([QuestionKind.SCALE5, QuestionKind.YESNO])
            tally = QuestionTally(
                qid, f"q{rng.randint(0, 20)}", kind, rng.choice(factors), {"vi": ""}
            )
            for score in range(1, 6) if kind == QuestionKind.SCALE5 else (0, YES):
                if rng.random() < 0.7:
                    tally.add(score, rng.randint(0, 40))
            tallies[qid] = tally
        summary = summarise(tallies, 100, 3)
        assert index_figures(tallies) == (
            summary.overall,
            summary.ci_low,
            summary.ci_high,
            summary.index_n,
        )
