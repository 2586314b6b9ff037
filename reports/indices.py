"""The satisfaction index and everything reported next to it, read from the roll-ups.

Method (documented for users on the "How the index is computed" page and in
docs/index-method.md):

* per question: share of valid answers that are satisfied (4 or 5 on the
  five-level scale; "yes" on a yes/no question);
* per SIPAS factor: the plain mean of its questions' shares;
* overall: the plain mean of the factors' shares (factors without answers are
  left out). The staff-conduct factor is reported apart and is not in the overall.

Only valid answers are counted: ratings flagged as misuse never reach the answer
roll-up and are reported as `excluded`. Every public function reads the roll-ups
with one grouped query per table, restricted to the offices it is given — callers
pass `Office.objects.visible_to(user)…` (a queryset becomes a sub-select, not an
extra query) or a list of ids they have already checked.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias

from django.conf import settings
from django.db import connection, models
from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractIsoWeekDay, TruncMonth
from django.utils.translation import get_language

from offices.models import DossierCount
from surveys.models import (
    SATISFIED_MIN,
    SCALE_LABELS,
    SIPAS_FACTORS,
    YES,
    AnswerRollup,
    Factor,
    MonthlyAnswerRollup,
    MonthlyDeskAnswerRollup,
    MonthlyDeskResponseRollup,
    MonthlyHourRollup,
    MonthlyPartialRollup,
    MonthlyResponseRollup,
    Question,
    QuestionKind,
    ResponseRollup,
    UnitMonthlyAnswerRollup,
    UnitMonthlyFieldAnswerRollup,
    UnitMonthlyFieldResponseRollup,
    UnitMonthlyHourRollup,
    UnitMonthlyResponseRollup,
)

if TYPE_CHECKING:
    from common.months import Month
    from offices.models import AdministrativeUnit, Office

    # The offices a report reads: a queryset (it becomes a sub-select, not an extra query)
    # or the ids the caller has already checked.
    OfficeScope: TypeAlias = models.QuerySet[Office, Any] | Collection[int]
    # The units whose whole subtrees those offices are (the unit grain): units or their ids.
    UnitScope: TypeAlias = (
        models.QuerySet[AdministrativeUnit, Any] | Collection[AdministrativeUnit] | Collection[int]
    )

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson_interval(successes: float, n: float, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a share of `successes` among `n` (None when n = 0).

    `successes` may be fractional: the overall index is a mean of shares and is
    turned back into an equivalent count of satisfied ratings (share × n).
    """
    if n <= 0:
        return None
    p = min(max(successes / n, 0.0), 1.0)
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def small_sample_n() -> int:
    return settings.SURVEY["SMALL_SAMPLE_N"]


def staff_min_n() -> int:
    return settings.SURVEY["STAFF_MIN_N"]


# --- Tallies (what one grouped query returns) -------------------------------------


@dataclass
class QuestionTally:
    """Valid answers to one scored question, by score."""

    question_id: int
    code: str
    kind: str
    factor: str
    texts: dict[str, str]
    levels: dict[int, int] = field(default_factory=dict)

    def add(self, score: int, count: int) -> None:
        self.levels[score] = self.levels.get(score, 0) + count

    @property
    def valid(self) -> int:
        return sum(self.levels.values())

    @property
    def satisfied(self) -> int:
        if self.kind == QuestionKind.YESNO:
            return self.levels.get(YES, 0)
        return sum(c for s, c in self.levels.items() if s >= SATISFIED_MIN)

    @property
    def share(self) -> float | None:
        return self.satisfied / self.valid if self.valid else None

    def text(self) -> str:
        language = (get_language() or "vi")[:2]
        return self.texts.get(language) or self.texts["vi"]


@dataclass(frozen=True)
class QuestionRow:
    code: str
    text: str
    kind: str
    factor: str
    n: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    mean: float | None  # five-level questions only

    @property
    def factor_label(self) -> str:
        return str(Factor(self.factor).label) if self.factor in Factor.values else ""


@dataclass(frozen=True)
class FactorRow:
    factor: str
    label: str
    share: float | None
    n: int  # answers to the factor's most-answered question
    ci_low: float | None
    ci_high: float | None
    questions: int


@dataclass(frozen=True)
class LevelRow:
    score: int
    label: str
    count: int
    share: float | None


@dataclass(frozen=True)
class SatisfactionSummary:
    """The index for one set of offices and period (public contract, see module doc).

    n: valid ratings (responses not flagged as misuse); excluded: ratings flagged
    as misuse; overall: the index 0..1, None without answers; ci_low/ci_high:
    Wilson 95 % interval of `overall`, treating it as a share among `index_n`
    ratings (index_n = answers to the most-answered question in the index, at most
    n); small_sample: n below settings.SURVEY["SMALL_SAMPLE_N"].
    """

    n: int
    excluded: int
    overall: float | None
    ci_low: float | None
    ci_high: float | None
    small_sample: bool
    index_n: int = 0
    mean_score: float | None = None
    factors: tuple[FactorRow, ...] = ()
    questions: tuple[QuestionRow, ...] = ()
    conduct: tuple[QuestionRow, ...] = ()
    distribution: tuple[LevelRow, ...] = ()
    withheld: bool = False  # about one officer, below the minimum: nothing may be shown

    @property
    def has_index(self) -> bool:
        return self.overall is not None

    @property
    def received(self) -> int:
        return self.n + self.excluded

    def change_from(self, other: SatisfactionSummary | None) -> float | None:
        """Difference of the overall index against `other` (None when either is missing)."""
        if other is None or self.overall is None or other.overall is None:
            return None
        return self.overall - other.overall

    def overlaps(self, other: SatisfactionSummary) -> bool:
        """Whether the two 95 % intervals overlap (the two cannot be told apart)."""
        if self.ci_low is None or other.ci_low is None:
            return True
        return self.ci_low <= other.ci_high and other.ci_low <= self.ci_high  # type: ignore[operator]


def empty_summary(excluded: int = 0, n: int = 0) -> SatisfactionSummary:
    return summarise({}, n, excluded)


def withheld_summary() -> SatisfactionSummary:
    """Stands in for an officer's (or single-officer desk's) figures below the minimum."""
    return SatisfactionSummary(
        n=0, excluded=0, overall=None, ci_low=None, ci_high=None, small_sample=True, withheld=True
    )


def _question_row(tally: QuestionTally) -> QuestionRow:
    interval = wilson_interval(tally.satisfied, tally.valid) or (None, None)
    mean = None
    if tally.kind == QuestionKind.SCALE5 and tally.valid:
        mean = sum(s * c for s, c in tally.levels.items()) / tally.valid
    return QuestionRow(
        code=tally.code,
        text=tally.text(),
        kind=tally.kind,
        factor=tally.factor,
        n=tally.valid,
        share=tally.share,
        ci_low=interval[0],
        ci_high=interval[1],
        mean=mean,
    )


def index_figures(
    tallies: dict[int, QuestionTally],
) -> tuple[float | None, float | None, float | None, int]:
    """(overall, ci_low, ci_high, index_n) exactly as `summarise` computes them (same
    order of the same sums), without the per-factor, per-question and distribution rows:
    for rules that compare thousands of office-months (reports/alerts.py)."""
    answered = sorted((t for t in tallies.values() if t.valid), key=lambda t: t.code)
    shares = []
    for factor in SIPAS_FACTORS:
        members = [t for t in answered if t.factor == factor]
        if members:
            shares.append(sum(t.share or 0.0 for t in members) / len(members))
    index_n = max((t.valid for t in answered if t.factor in SIPAS_FACTORS), default=0)
    if not shares:
        return None, None, None, index_n
    overall = sum(shares) / len(shares)
    ci_low, ci_high = wilson_interval(overall * index_n, index_n) or (None, None)
    return overall, ci_low, ci_high, index_n


def summarise(tallies: dict[int, QuestionTally], n: int, excluded: int) -> SatisfactionSummary:
    """Turn per-question tallies and rating counts into the index (pure arithmetic)."""
    answered = sorted((t for t in tallies.values() if t.valid), key=lambda t: t.code)
    factor_rows = []
    for factor in SIPAS_FACTORS:
        members = [t for t in answered if t.factor == factor]
        if not members:
            continue
        share = sum(t.share or 0.0 for t in members) / len(members)
        factor_n = max(t.valid for t in members)
        interval = wilson_interval(share * factor_n, factor_n) or (None, None)
        factor_rows.append(
            FactorRow(
                factor=str(factor),
                label=str(Factor(factor).label),
                share=share,
                n=factor_n,
                ci_low=interval[0],
                ci_high=interval[1],
                questions=len(members),
            )
        )
    index_tallies = [t for t in answered if t.factor in SIPAS_FACTORS]
    overall = ci_low = ci_high = None
    index_n = max((t.valid for t in index_tallies), default=0)
    if factor_rows:
        overall = sum(f.share or 0.0 for f in factor_rows) / len(factor_rows)
        ci_low, ci_high = wilson_interval(overall * index_n, index_n) or (None, None)
    scale = [t for t in index_tallies if t.kind == QuestionKind.SCALE5]
    level_counts = {s: sum(t.levels.get(s, 0) for t in scale) for s in range(5, 0, -1)}
    total_levels = sum(level_counts.values())
    distribution = tuple(
        LevelRow(s, str(SCALE_LABELS[s]), c, c / total_levels if total_levels else None)
        for s, c in level_counts.items()
    )
    mean_score = (
        sum(s * c for s, c in level_counts.items()) / total_levels if total_levels else None
    )
    return SatisfactionSummary(
        n=n,
        excluded=excluded,
        overall=overall,
        ci_low=ci_low,
        ci_high=ci_high,
        small_sample=n < small_sample_n(),
        index_n=index_n,
        mean_score=mean_score,
        factors=tuple(factor_rows),
        questions=tuple(_question_row(t) for t in index_tallies),
        conduct=tuple(_question_row(t) for t in answered if t.factor not in SIPAS_FACTORS),
        distribution=distribution,
    )


# --- Grouped queries ------------------------------------------------------------------

Group = dict[str, Any]  # alias → expression (F, TruncMonth…)


# Four grains answer the same questions. The monthly ones do not grow with the number
# of ratings once every question and value of an office-month has been seen:
# * unit-month (a unit's whole subtree, in a few shards): the figures of a unit itself
#   and of its sub-units (`units=` given: the caller's offices are those units' whole
#   subtrees), so a province or the nation reads rows bounded by questions and values,
#   not by offices; its procedure-field twin ("unitfield") for the field table;
# * office-month (no desk, staff, day or hour): unit and office figures, trends,
#   rankings of sub-units and offices, response rates;
# * desk-month (desk and staff kept): desk, staff and procedure-field tables, and the
#   reports of one desk or one officer;
# * daily: only for periods that do not start and end on the first of a month.
# See docs/index-method.md. A filter or grouping the chosen grain cannot answer falls
# back to the next finer one, never to a wrong answer.
GRAINS: dict[str, dict[type[models.Model], type[models.Model]]] = {
    "unit": {AnswerRollup: UnitMonthlyAnswerRollup, ResponseRollup: UnitMonthlyResponseRollup},
    "unitfield": {
        AnswerRollup: UnitMonthlyFieldAnswerRollup,
        ResponseRollup: UnitMonthlyFieldResponseRollup,
    },
    "office": {AnswerRollup: MonthlyAnswerRollup, ResponseRollup: MonthlyResponseRollup},
    "desk": {AnswerRollup: MonthlyDeskAnswerRollup, ResponseRollup: MonthlyDeskResponseRollup},
}
GRAIN_GROUPS = {
    "unit": {"month", "unit"},
    "unitfield": {"month", "unit", "field"},  # field: F("field_id") on this grain
    "office": {"month", "office", "child"},
    "desk": {"month", "office", "child", "desk", "staff", "field"},
}
GRAIN_FIELDS = {
    "office": {"office", "office_id", "day"},
    "desk": {"office", "office_id", "day", "desk", "desk_id", "staff", "staff_id"},
}


def _where_fits(where: Q | None, fields: set[str]) -> bool:
    """Whether every condition of `where` is on `fields`, with any bound on `day` the
    first of a month (so a monthly row is either wholly in or wholly out)."""
    if where is None:
        return True
    for child in where.children:
        if isinstance(child, Q):
            if not _where_fits(child, fields):
                return False
            continue
        lookup, value = child  # type: ignore[misc]
        name, _sep, operator = lookup.partition("__")
        if lookup == "pk__in" and not value:  # matches nothing on any grain
            continue
        if name not in fields:
            return False
        if name == "day" and (operator not in ("gte", "lt") or getattr(value, "day", 0) != 1):
            return False
    return True


def _grain(
    start: date,
    end_exclusive: date,
    where: Q | None,
    group: Group | None,
    units: UnitScope | None = None,
) -> str:
    """The coarsest grain that answers exactly: "unit", "office", "desk" or "daily"."""
    if start.day != 1 or end_exclusive.day != 1:
        return "daily"
    if units is not None and where is None:
        for grain in ("unit", "unitfield"):
            if set(group or {}) <= GRAIN_GROUPS[grain]:
                return grain
    for grain in ("office", "desk"):
        if set(group or {}) <= GRAIN_GROUPS[grain] and _where_fits(where, GRAIN_FIELDS[grain]):
            return grain
    return "daily"


def _rollup_filter(
    model: type[AnswerRollup | ResponseRollup],
    offices: OfficeScope,
    start: date,
    end_exclusive: date,
    where: Q | None,
    *,
    grain: str = "daily",
    units: UnitScope | None = None,
) -> models.QuerySet[Any]:
    """The roll-up rows of `offices` (on the unit grain: of `units`) for local days in
    [start, end_exclusive).

    On a monthly grain its month is exposed as `day`, so callers group and filter the
    same way on every grain.
    """
    base: Any  # the manager or queryset of whichever roll-up model the grain reads
    if grain == "daily":
        base = model.objects
    else:
        base = GRAINS[grain][model]._default_manager.annotate(day=F("month"))
    if grain in ("unit", "unitfield"):
        queryset = base.filter(unit__in=units, day__gte=start, day__lt=end_exclusive)
        return queryset  # no `where` on this grain (see _grain)
    queryset = base.filter(office__in=offices, day__gte=start, day__lt=end_exclusive)
    return queryset.filter(where) if where is not None else queryset


def _grouped(
    queryset: models.QuerySet[Any], group: Group
) -> tuple[models.QuerySet[Any], list[str]]:
    names = [f"g_{name}" for name in group]
    annotated = queryset.annotate(**{f"g_{name}": expr for name, expr in group.items()})
    return annotated, names


def _key(row: dict, names: list[str]) -> tuple:
    return tuple(row[n] for n in names)


def answer_tallies(
    offices: OfficeScope,
    start: date,
    end_exclusive: date,
    *,
    where: Q | None = None,
    group: Group | None = None,
    units: UnitScope | None = None,
) -> dict[tuple, dict[int, QuestionTally]]:
    """One query: valid scored answers per group key and question, by score. `units`
    (ids or a queryset of units whose whole subtrees are `offices`) lets whole months
    be read from the unit grain."""
    grain = _grain(start, end_exclusive, where, group, units)
    queryset = _rollup_filter(
        AnswerRollup, offices, start, end_exclusive, where, grain=grain, units=units
    )
    queryset, names = _grouped(queryset.filter(score__isnull=False), group or {})
    # Aggregate on the narrow key (group, question id, score) first and join the question's
    # code, kind and texts to the few grouped rows after: grouping the joined rows by the
    # three texts as well made the national trend (every office-month of 13 months) spend
    # most of its time hashing text (EXPLAIN ANALYZE at 200 k ratings: 1.2 s → 0.34 s).
    inner = queryset.values(*names, "question_id", "score").annotate(count=Sum("count")).order_by()
    compiler = inner.query.get_compiler(connection=connection)
    inner_sql, params = compiler.as_sql()
    # Django's converters for the inner columns (a month truncated on a date column comes
    # back from PostgreSQL as a timestamp; the ORM turns it into a date, so must this).
    converters = compiler.get_converters(
        [expression for expression, _sql, _alias in compiler.select]
    )
    # inner_sql is Django's own compiled query; its parameters are passed apart.
    sql = (
        "SELECT t.*, q.code AS question__code, q.kind AS question__kind,"  # noqa: S608
        " q.factor AS question__factor, q.text_vi AS question__text_vi,"
        " q.text_en AS question__text_en, q.text_fa AS question__text_fa"
        f" FROM ({inner_sql}) t JOIN surveys_question q ON q.id = t.question_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        fetched = cursor.fetchall()
    if converters:
        fetched = compiler.apply_converters(fetched, converters)
    rows = [dict(zip(columns, r, strict=True)) for r in fetched]
    result: dict[tuple, dict[int, QuestionTally]] = defaultdict(dict)
    for row in rows:
        tallies = result[_key(row, names)]
        tally = tallies.get(row["question_id"])
        if tally is None:
            tally = tallies[row["question_id"]] = QuestionTally(
                question_id=row["question_id"],
                code=row["question__code"],
                kind=row["question__kind"],
                factor=row["question__factor"],
                texts={
                    "vi": row["question__text_vi"],
                    "en": row["question__text_en"],
                    "fa": row["question__text_fa"],
                },
            )
        tally.add(row["score"], row["count"])
    return result


def rating_counts(
    offices: OfficeScope,
    start: date,
    end_exclusive: date,
    *,
    where: Q | None = None,
    group: Group | None = None,
    units: UnitScope | None = None,
) -> dict[tuple, tuple[int, int]]:
    """One query: (valid, flagged) ratings per group key (`units` as in answer_tallies)."""
    grain = _grain(start, end_exclusive, where, group, units)
    queryset = _rollup_filter(
        ResponseRollup, offices, start, end_exclusive, where, grain=grain, units=units
    )
    if not group:
        # `.values()` with no field would group by every column: aggregate instead.
        totals = queryset.aggregate(valid=Sum("valid"), flagged=Sum("flagged"))
        if totals["valid"] is None:
            return {}
        return {(): (totals["valid"] or 0, totals["flagged"] or 0)}
    queryset, names = _grouped(queryset, group)
    rows = queryset.values(*names).annotate(valid=Sum("valid"), flagged=Sum("flagged"))
    return {_key(r, names): (r["valid"] or 0, r["flagged"] or 0) for r in rows.order_by()}


def grouped_summaries(
    offices: OfficeScope,
    start: date,
    end_exclusive: date,
    *,
    where: Q | None = None,
    group: Group | None = None,
    units: UnitScope | None = None,
) -> dict[tuple, SatisfactionSummary]:
    """Two queries: the index per group key (a key with only flagged ratings is kept);
    `units` as in answer_tallies."""
    tallies = answer_tallies(offices, start, end_exclusive, where=where, group=group, units=units)
    counts = rating_counts(offices, start, end_exclusive, where=where, group=group, units=units)
    return {
        key: summarise(tallies.get(key, {}), *counts.get(key, (0, 0)))
        for key in set(tallies) | set(counts)
    }


def satisfaction_summary(
    office_ids: OfficeScope, start: date, end_exclusive: date, *, where: Q | None = None
) -> SatisfactionSummary:
    """The index over `office_ids` (ids or an Office queryset) for local days in
    [start, end_exclusive). Two queries. The caller is responsible for scope."""
    summaries = grouped_summaries(office_ids, start, end_exclusive, where=where)
    return summaries.get((), empty_summary())


def monthly_summaries(
    offices: OfficeScope,
    months: list[Month],
    *,
    where: Q | None = None,
    units: UnitScope | None = None,
) -> list[tuple[Month, SatisfactionSummary]]:
    """[(month, summary)] for consecutive `months` (common.months.Month), two queries;
    `units` as in answer_tallies."""
    by_month = grouped_summaries(
        offices,
        months[0].start,
        months[-1].end,
        where=where,
        group={"month": TruncMonth("day")},
        units=units,
    )
    return [(m, by_month.get((m.start,), empty_summary())) for m in months]


def partial_count(
    offices: OfficeScope,
    start: date,
    end_exclusive: date,
    *,
    where: Q | None = None,
    units: UnitScope | None = None,
) -> int:
    """Valid ratings left before the last question, over whole months (one query); the
    rest of the valid ratings were completed in full. `units` as in answer_tallies."""
    if _grain(start, end_exclusive, where, None, units) == "unit":
        # The unit grain is chosen only when `units` is given.
        unit_rows = UnitMonthlyResponseRollup.objects.filter(  # type: ignore[misc]
            unit__in=units, month__gte=start, month__lt=end_exclusive
        )
        return unit_rows.aggregate(partial=Sum("partial"))["partial"] or 0
    queryset = MonthlyPartialRollup.objects.annotate(day=F("month")).filter(
        office__in=offices, day__gte=start, day__lt=end_exclusive
    )
    queryset = queryset.filter(where) if where is not None else queryset
    return queryset.aggregate(partial=Sum("partial"))["partial"] or 0


# --- Other tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonRow:
    question_code: str
    text: str
    count: int
    share: float  # of all reasons given in the period


def top_reasons(
    offices: OfficeScope,
    start: date,
    end_exclusive: date,
    *,
    where: Q | None = None,
    limit: int = 5,
    units: UnitScope | None = None,
) -> list[ReasonRow]:
    """The reasons citizens chose most often after a low score (one query); `units` as
    in answer_tallies."""
    reasons_questions = Question.objects.exclude(reasons=None).values("reasons_id")
    grain = _grain(start, end_exclusive, where, None, units)
    queryset = _rollup_filter(
        AnswerRollup, offices, start, end_exclusive, where, grain=grain, units=units
    ).filter(choice__isnull=False, question_id__in=reasons_questions)
    rows = list(
        queryset.values(
            "choice_id", "question__code", "choice__text_vi", "choice__text_en", "choice__text_fa"
        )
        .annotate(count=Sum("count"))
        .order_by("-count", "choice_id")
    )
    total = sum(r["count"] for r in rows)
    language = (get_language() or "vi")[:2]
    return [
        ReasonRow(
            question_code=r["question__code"],
            text=r.get(f"choice__text_{language}") or r["choice__text_vi"],
            count=r["count"],
            share=r["count"] / total,
        )
        for r in rows[:limit]
    ]


def weekday_hour_counts(
    offices: OfficeScope,
    start: date,
    end_exclusive: date,
    *,
    where: Q | None = None,
    units: UnitScope | None = None,
) -> dict[tuple[int, int], int]:
    """Valid ratings per (ISO weekday 1–7, local hour 0–23) — one query, on the monthly
    hour table for whole months (the unit one with `units`, as in answer_tallies)."""
    queryset: models.QuerySet
    if _grain(start, end_exclusive, where, None, units) == "unit":
        # The unit grain is chosen only when `units` is given.
        queryset = UnitMonthlyHourRollup.objects.filter(  # type: ignore[misc]
            unit__in=units, month__gte=start, month__lt=end_exclusive
        )
    elif _grain(start, end_exclusive, where, {"desk": F("desk_id")}) == "daily":
        queryset = _rollup_filter(ResponseRollup, offices, start, end_exclusive, where)
        queryset = queryset.annotate(weekday=ExtractIsoWeekDay("day"))
    else:
        queryset = MonthlyHourRollup.objects.annotate(day=F("month")).filter(
            office__in=offices, day__gte=start, day__lt=end_exclusive
        )
        queryset = queryset.filter(where) if where is not None else queryset
    rows = queryset.values("weekday", "hour").annotate(valid=Sum("valid")).order_by()
    return {(r["weekday"], r["hour"]): r["valid"] for r in rows if r["valid"]}


@dataclass(frozen=True)
class ResponseRate:
    """Valid ratings ÷ dossiers handled, over the office-months that have a figure."""

    rate: float | None  # None: unknown (no figure for any rated office-month)
    ratings: int
    dossiers: int
    offices_with_figures: int
    offices_rated: int

    @property
    def known(self) -> bool:
        return self.rate is not None

    @property
    def complete(self) -> bool:
        return self.offices_with_figures >= self.offices_rated


def response_rate(offices: OfficeScope, start: date, end_exclusive: date) -> ResponseRate:
    """Two queries: the dossier figures and the valid ratings per office and month."""
    figures = {
        (r["office_id"], r["month"]): r["dossiers_handled"]
        for r in DossierCount.objects.filter(
            office__in=offices, month__gte=start, month__lt=end_exclusive
        ).values("office_id", "month", "dossiers_handled")
    }
    rated = rating_counts(
        offices,
        start,
        end_exclusive,
        group={"office": F("office_id"), "month": TruncMonth("day")},
    )
    ratings = sum(rated.get(key, (0, 0))[0] for key in figures)
    dossiers = sum(figures.values())
    rate = ratings / dossiers if dossiers else None
    return ResponseRate(
        rate=rate,
        ratings=ratings,
        dossiers=dossiers,
        offices_with_figures=len({office for office, _ in figures}),
        offices_rated=len({office for office, _ in rated} | {office for office, _ in figures}),
    )


# --- Rankings -------------------------------------------------------------------------------


@dataclass
class RankedRow:
    """A row of a comparison table (child unit, office, desk, staff member, field)."""

    key: object
    label: str
    summary: SatisfactionSummary
    url: str = ""
    detail: str = ""
    rank: int | None = None
    tied: bool = False  # shares its rank: its interval overlaps the rank's first row
    hidden: bool = False  # too few ratings to show (staff below the minimum n)


def rank_rows(
    rows: Iterable[RankedRow], *, min_n: int = 0, hide: Collection[object] = frozenset()
) -> list[RankedRow]:
    """Sort by index and give ranks; rows whose 95 % intervals overlap the first row of
    the current rank share that rank (they cannot be told apart). Rows below `min_n`
    ratings, and rows whose key is in `hide`, are marked hidden and left unranked at
    the end."""
    rows = list(rows)
    for row in rows:
        row.hidden = row.summary.n < min_n or row.key in hide
    ranked = sorted(
        (r for r in rows if not r.hidden and r.summary.has_index),
        key=lambda r: (-(r.summary.overall or 0.0), r.label),
    )
    leader = None
    for position, row in enumerate(ranked, start=1):
        if leader is not None and row.summary.overlaps(leader.summary):
            row.rank = leader.rank
            row.tied = leader.tied = True
        else:
            row.rank, leader = position, row
    placed = {id(r) for r in ranked}
    rest = sorted((r for r in rows if id(r) not in placed), key=lambda r: (r.hidden, r.label))
    return ranked + rest
