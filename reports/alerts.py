"""Alerts: the rules, their evaluation, and the e-mail to the office head.

Each rule turns what it reads into *findings* (rule, subject, figures) for the
subjects it evaluated; `apply` opens an alert for a finding not already open (the
partial unique constraint makes that safe from two workers at once) and resolves the
open alerts of evaluated subjects whose condition no longer holds.

What the rules read, and what it costs:
* low ratings (streak, share): the latest `low_window` valid ratings of each office and
  desk that received a rating in the look-back (found by `received_at`, BRIN index), one
  LATERAL query each over `response_office_time_idx` (never a scan of all responses);
* index drop: this month and last month per office from the monthly roll-ups: the rating
  counts of every office-month, then the scored answers of the offices with enough ratings,
  as plain tuples (a fixed number of queries, bounded by offices);
* best month: the desks' last 13 months from the monthly desk roll-ups, once a month;
* kiosks: the kiosk rows (last heard, reported queue) and refused submissions of 24 h;
* suggestions past their deadline: one grouped query.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from common.months import Month
from offices.models import AdministrativeUnit, AuditEvent, Desk, Kiosk, Membership, Office, Role
from reports.indices import (
    QuestionTally,
    SatisfactionSummary,
    answer_tallies,
    index_figures,
    rating_counts,
    summarise,
)
from reports.models import Alert, AlertRule, AlertSettings, AlertStatus
from scheduling.runs import run_once
from suggestions.models import Suggestion
from surveys.models import LOW_MAX, Question, RefusedSubmission, Response

logger = logging.getLogger(__name__)

RECENT_LOOKBACK = timedelta(minutes=10)  # the minute job: ratings received since then
SWEEP_LOOKBACK = timedelta(hours=1)  # the sweep: in case minute runs were missed
REFUSED_WINDOW = timedelta(hours=24)
BEST_MONTH_HISTORY = 12  # months a best month is compared with
BEST_MONTH_MIN_PRIOR = 3  # of which at least this many with an index
NOTIFY_ATTEMPTS = 3


# --- Thresholds, per unit and inherited ----------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    low_streak: int
    low_window: int
    low_share_percent: int
    index_drop_min_n: int
    kiosk_silent_minutes: int
    kiosk_queue_max: int
    kiosk_refused_max: int
    suggestions_overdue: int
    best_month_min_n: int


NAMES = [f.name for f in fields(Thresholds)]


class Policies:
    """Every unit's alert settings, read once; `for_path` resolves inheritance."""

    def __init__(self) -> None:
        self.rows = {s.unit.path: s for s in AlertSettings.objects.select_related("unit")}
        self._cache: dict[str, Thresholds] = {}

    def for_path(self, path: str) -> Thresholds:
        if path not in self._cache:
            step = AdministrativeUnit.steplen
            lineage = [self.rows.get(path[:i]) for i in range(len(path), 0, -step)]
            values = {}
            for name in NAMES:
                chosen = next(
                    (getattr(r, name) for r in lineage if r and getattr(r, name) is not None),
                    None,
                )
                values[name] = settings.ALERTS[name] if chosen is None else chosen
            self._cache[path] = Thresholds(**values)
        return self._cache[path]

    def smallest_positive(self, name: str) -> int | None:
        """The lowest setting above zero anywhere (0 turns a rule off), or None."""
        values = [settings.ALERTS[name], *(getattr(r, name) for r in self.rows.values())]
        return min((v for v in values if v), default=None)

    def largest(self, name: str) -> int:
        values = [getattr(r, name) for r in self.rows.values() if getattr(r, name) is not None]
        return max([settings.ALERTS[name], *values])


# --- Findings and their application ------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    office_id: int
    subject_key: str
    desk_id: int | None = None
    kiosk_id: int | None = None
    detail: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Outcome:
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    notified: int = 0

    def __str__(self) -> str:
        return f"{len(self.opened)} opened, {len(self.resolved)} resolved, {self.notified} e-mailed"


def apply(rule: str, findings: list[Finding], resolvable: Q, now: datetime, out: Outcome) -> None:
    """Open what is newly true, resolve what `resolvable` covers and is no longer true."""
    keys = {f.subject_key for f in findings}
    stale = list(
        Alert.objects.open()
        .filter(resolvable, rule=rule)
        .exclude(subject_key__in=keys)
        .select_related("office")
    )
    if stale:
        Alert.objects.filter(pk__in=[a.pk for a in stale], status=AlertStatus.OPEN).update(
            status=AlertStatus.RESOLVED, resolved_at=now
        )
        for alert in stale:
            AuditEvent.record(None, "alert_resolved", alert.office, alert=alert.pk, rule=rule)
        out.resolved += [a.pk for a in stale]
    already = set(
        Alert.objects.open()
        .filter(rule=rule, subject_key__in=keys)
        .values_list("subject_key", flat=True)
    )
    for finding in findings:
        if finding.subject_key in already:
            continue
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    rule=rule,
                    subject_key=finding.subject_key,
                    office_id=finding.office_id,
                    desk_id=finding.desk_id,
                    kiosk_id=finding.kiosk_id,
                    detail=finding.detail,
                    opened_at=now,
                )
        except IntegrityError:  # another worker opened it a moment ago
            continue
        AuditEvent.record(None, "alert_opened", alert.office, alert=alert.pk, rule=rule)
        out.opened.append(alert.pk)


def _office_paths(office_ids: Iterable[int]) -> dict[int, str]:
    return dict(Office.objects.filter(pk__in=office_ids).values_list("pk", "unit__path"))


# --- Low ratings at a desk or office --------------------------------------------------------

# The latest valid ratings of each (office, desk) pair (desk NULL: the whole office), each
# as the mean of its five-level answers. The inner LATERAL is a plain backward walk of
# `response_office_time_idx` with a LIMIT (so the planner never reads all of an office's
# ratings); the means are then taken for those rows only. Ratings without a five-level
# answer are not satisfaction ratings and are skipped, so twice as many rows are read as
# needed.
# Offices and desks are two statements: one `desk_id IS NULL OR …` condition would hide
# the desk filter's selectivity from the planner, which then sorts whole offices instead.
LATEST_RATINGS_SQL = """
SELECT s.office_id, s.desk_id, m.mean
FROM unnest(%s::bigint[], %s::bigint[]) AS s(office_id, desk_id)
CROSS JOIN LATERAL (
    SELECT resp.id, resp.submitted_at
    FROM surveys_response resp
    WHERE resp.office_id = s.office_id AND NOT resp.is_misuse {desk}
    ORDER BY resp.submitted_at DESC
    LIMIT %s
) latest
CROSS JOIN LATERAL (
    SELECT avg(a.score)::float AS mean
    FROM surveys_answer a JOIN surveys_question q ON q.id = a.question_id
    WHERE a.response_id = latest.id AND q.kind = 'scale5' AND a.score IS NOT NULL
) m
WHERE m.mean IS NOT NULL
ORDER BY s.office_id, s.desk_id, latest.submitted_at DESC
"""


def latest_ratings(
    pairs: Collection[tuple[int, int | None]], limit: int
) -> dict[tuple, list[float]]:
    """(office, desk or None) → the means of its latest `limit` valid ratings, newest first."""
    if not pairs:
        return {}
    result: dict[tuple, list[float]] = defaultdict(list)
    offices = [p for p in pairs if p[1] is None]
    desks = [p for p in pairs if p[1] is not None]
    with connection.cursor() as cursor:
        for chosen, desk in ((offices, ""), (desks, "AND resp.desk_id = s.desk_id")):
            if not chosen:
                continue
            cursor.execute(
                LATEST_RATINGS_SQL.format(desk=desk),
                [[p[0] for p in chosen], [p[1] for p in chosen], 2 * limit],
            )
            for office_id, desk_id, mean in cursor.fetchall():
                means = result[(office_id, desk_id)]
                if len(means) < limit:
                    means.append(mean)
    return result


def low_rating_findings(
    pairs: Collection[tuple[int, int | None]], policies: Policies
) -> tuple[list[Finding], list[Finding]]:
    """(streak findings, share findings) for the given (office, desk or None) pairs."""
    limit = max(policies.largest("low_window"), policies.largest("low_streak"), 1)
    ratings = latest_ratings(pairs, limit)
    paths = _office_paths({p[0] for p in pairs})
    streaks, shares = [], []
    for (office_id, desk_id), means in ratings.items():
        t = policies.for_path(paths[office_id])
        key = f"desk:{desk_id}" if desk_id else f"office:{office_id}"
        low = [m <= LOW_MAX for m in means]
        if t.low_streak and len(low) >= t.low_streak and all(low[: t.low_streak]):
            streaks.append(
                Finding(AlertRule.LOW_STREAK, office_id, key, desk_id, None, {"n": t.low_streak})
            )
        window = t.low_window
        if t.low_share_percent and window and len(low) >= window:
            count = sum(low[:window])
            if count * 100 >= t.low_share_percent * window:
                detail = {"low": count, "of": window}
                shares.append(Finding(AlertRule.LOW_SHARE, office_id, key, desk_id, None, detail))
    return streaks, shares


def evaluate_low_ratings(
    now: datetime, lookback: timedelta, policies: Policies, out: Outcome
) -> None:
    # By arrival, not by the time given: a kiosk's offline queue is looked at when it lands.
    rated = (
        Response.objects.filter(received_at__gte=now - lookback, received_at__lte=now)
        .values_list("office_id", "desk_id")
        .distinct()
    )
    pairs: set[tuple[int, int | None]] = {(office_id, None) for office_id, _desk in rated}
    pairs |= {(office_id, desk_id) for office_id, desk_id in rated if desk_id}
    pairs = sorted(pairs, key=lambda p: (p[0], p[1] or 0))  # type: ignore[assignment]
    streaks, shares = low_rating_findings(pairs, policies)
    evaluated = Q(subject_key__in=[f"desk:{d}" if d else f"office:{o}" for o, d in pairs])
    apply(AlertRule.LOW_STREAK, streaks, evaluated, now, out)
    apply(AlertRule.LOW_SHARE, shares, evaluated, now, out)


# --- The month's index against last month's ------------------------------------------------


# Scored answers of two office-months, per office, month, question and score, straight
# from the monthly grain as plain tuples: at national scale (3,321 offices, ten or so
# scored questions, five levels) that is a few hundred thousand short rows, which Django's
# `.values()` (with the question's three texts repeated on each row) made the slowest part
# of the sweep. The question's code, kind and factor come once per question.
INDEX_DROP_TALLIES_SQL = """
SELECT r.office_id, r.month, r.question_id, r.score, sum(r.count)
FROM surveys_monthlyanswerrollup r
WHERE r.office_id = ANY(%s) AND r.month IN (%s, %s) AND r.score IS NOT NULL
GROUP BY r.office_id, r.month, r.question_id, r.score
"""


def _index_only(tallies: dict, counts: tuple[int, int]) -> SatisfactionSummary:
    """The figures the rule compares (index, interval, n), as `summarise` gives them."""
    overall, ci_low, ci_high, index_n = index_figures(tallies)
    return SatisfactionSummary(
        n=counts[0],
        excluded=counts[1],
        overall=overall,
        ci_low=ci_low,
        ci_high=ci_high,
        small_sample=False,  # not used here
        index_n=index_n,
    )


def evaluate_index_drop(now: datetime, policies: Policies, out: Outcome) -> None:
    """This month against last month for every active office, bounded by offices: the
    office-month rating counts (one grouped query) decide which offices have enough
    ratings in both months; only theirs are tallied (one grouped query), then the two
    queries of `apply`. Five queries however many offices and ratings there are."""
    month = Month.of(timezone.localtime(now).date())
    previous = month.previous()
    offices = Office.objects.filter(is_active=True)
    paths = dict(offices.values_list("pk", "unit__path"))
    counts = rating_counts(
        offices,
        previous.start,
        month.end,
        group={"office": F("office_id"), "month": TruncMonth("day")},
    )
    eligible: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
    for office_id, path in paths.items():
        min_n = policies.for_path(path).index_drop_min_n
        this_month = counts.get((office_id, month.start), (0, 0))
        last_month = counts.get((office_id, previous.start), (0, 0))
        if min_n and this_month[0] >= min_n and last_month[0] >= min_n:
            eligible[office_id] = (this_month, last_month)
    tallies: dict[tuple, dict[int, QuestionTally]] = defaultdict(dict)
    questions: dict[int, tuple[str, str, str]] = {}
    if eligible:
        with connection.cursor() as cursor:
            cursor.execute(INDEX_DROP_TALLIES_SQL, [list(eligible), previous.start, month.start])
            rows = cursor.fetchall()
        question_ids = {row[2] for row in rows}
        questions = (
            {
                pk: (code, kind, factor)
                for pk, code, kind, factor in Question.objects.filter(
                    pk__in=question_ids
                ).values_list("pk", "code", "kind", "factor")
            }
            if question_ids
            else {}
        )
        for office_id, month_start, question_id, score, count in rows:
            by_question = tallies[(office_id, month_start)]
            tally = by_question.get(question_id)
            if tally is None:
                code, kind, factor = questions[question_id]
                tally = by_question[question_id] = QuestionTally(
                    question_id=question_id, code=code, kind=kind, factor=factor, texts={"vi": code}
                )
            tally.add(score, count)
    findings = []
    for office_id, (current_counts, before_counts) in eligible.items():
        current = _index_only(tallies.get((office_id, month.start), {}), current_counts)
        before = _index_only(tallies.get((office_id, previous.start), {}), before_counts)
        if not (current.has_index and before.has_index):
            continue
        if current.overall < before.overall and not current.overlaps(before):  # type: ignore[operator]
            detail = {
                "month": str(month),
                "index": current.overall,
                "ci": [current.ci_low, current.ci_high],
                "n": current.n,
                "previous": before.overall,
                "previous_ci": [before.ci_low, before.ci_high],
                "previous_n": before.n,
            }
            findings.append(
                Finding(AlertRule.INDEX_DROP, office_id, f"office:{office_id}", None, None, detail)
            )
    apply(AlertRule.INDEX_DROP, findings, Q(), now, out)


# --- Kiosks -------------------------------------------------------------------------------


def evaluate_kiosks(now: datetime, policies: Policies, out: Outcome) -> None:
    kiosks = list(
        Kiosk.objects.filter(office__is_active=True, revoked_at__isnull=True)
        .exclude(credential_hash="")
        .select_related("office__unit")
    )
    refused = dict(
        RefusedSubmission.objects.filter(refused_at__gte=now - REFUSED_WINDOW, refused_at__lte=now)
        .values("kiosk_id")
        .annotate(n=Count("pk"))
        .values_list("kiosk_id", "n")
    )
    silent, queued, refusals, left_alone = [], [], [], []
    for kiosk in kiosks:
        t = policies.for_path(kiosk.office.unit.path)
        key = f"kiosk:{kiosk.pk}"
        base = {"office_id": kiosk.office_id, "subject_key": key, "kiosk_id": kiosk.pk}
        last = kiosk.last_heard
        quiet = t.kiosk_silent_minutes and kiosk.is_quiet(
            now, timedelta(minutes=t.kiosk_silent_minutes)
        )
        if quiet and kiosk.office.is_open_at(now):
            detail = {"last_heard": last.isoformat() if last else None}
            silent.append(Finding(AlertRule.KIOSK_SILENT, detail=detail, **base))  # type: ignore[arg-type]
        elif quiet:
            left_alone.append(key)  # closed now: neither raised nor cleared until it opens
        if t.kiosk_queue_max and (kiosk.queue_length or 0) >= t.kiosk_queue_max:
            detail = {"queue": kiosk.queue_length}  # type: ignore[dict-item]
            queued.append(Finding(AlertRule.KIOSK_QUEUE, detail=detail, **base))  # type: ignore[arg-type]
        count = refused.get(kiosk.pk, 0)
        if t.kiosk_refused_max and count >= t.kiosk_refused_max:
            refusals.append(Finding(AlertRule.KIOSK_REFUSED, detail={"refused": count}, **base))  # type: ignore[arg-type]
    apply(AlertRule.KIOSK_SILENT, silent, ~Q(subject_key__in=left_alone), now, out)
    apply(AlertRule.KIOSK_QUEUE, queued, Q(), now, out)
    apply(AlertRule.KIOSK_REFUSED, refusals, Q(), now, out)


# --- Suggestions past their deadline ----------------------------------------------------------


def evaluate_overdue_suggestions(now: datetime, policies: Policies, out: Outcome) -> None:
    rows = (
        Suggestion.objects.overdue(now)
        .filter(office__is_active=True)
        .values("office_id", "office__unit__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    findings = []
    for row in rows:
        threshold = policies.for_path(row["office__unit__path"]).suggestions_overdue
        if threshold and row["n"] >= threshold:
            key = f"office:{row['office_id']}"
            detail = {"count": row["n"]}
            findings.append(
                Finding(AlertRule.SUGGESTIONS_OVERDUE, row["office_id"], key, None, None, detail)
            )
    apply(AlertRule.SUGGESTIONS_OVERDUE, findings, Q(), now, out)


# --- A desk's best month (positive) ---------------------------------------------------------------


def evaluate_best_month(now: datetime, policies: Policies, out: Outcome) -> None:
    """Last month against each desk's previous twelve: the best with enough ratings.

    Counting comes first (one query of ratings per desk and month): only a desk whose last
    month and at least BEST_MONTH_MIN_PRIOR earlier ones have enough ratings can have a
    best month, so the answers are read and indexed for those desk-months alone. A
    national sweep used to index every desk-month of 13 months (about 130,000 at
    3,300 offices) to keep a few."""
    last = Month.of(timezone.localtime(now).date()).previous()
    months = last.last(BEST_MONTH_HISTORY + 1)
    offices = Office.objects.filter(is_active=True)
    group = {"desk": F("desk_id"), "month": TruncMonth("day")}
    counts = rating_counts(offices, months[0].start, last.end, group=group)
    floor = policies.smallest_positive("best_month_min_n")
    recent = [
        desk
        for (desk, month), (n, _flagged) in counts.items()
        if month == last.start and desk is not None and n >= (floor or 0)
    ]
    if floor is None or not recent:
        apply(AlertRule.BEST_MONTH, [], Q(), now, out)
        return
    desks = Desk.objects.filter(pk__in=recent, office__in=offices).values_list(
        "pk", "office_id", "office__unit__path"
    )
    wanted: dict[int, tuple[int, set]] = {}  # desk → (office, months with enough ratings)
    for desk_id, office_id, path in desks:
        min_n = policies.for_path(path).best_month_min_n
        if not min_n or counts.get((desk_id, last.start), (0, 0))[0] < min_n:
            continue
        enough = {
            m.start for m in months[:-1] if counts.get((desk_id, m.start), (0, 0))[0] >= min_n
        }
        if len(enough) >= BEST_MONTH_MIN_PRIOR:
            wanted[desk_id] = (office_id, enough | {last.start})
    findings = []
    if wanted:
        tallies = answer_tallies(
            offices, months[0].start, last.end, where=Q(desk_id__in=list(wanted)), group=group
        )
        for desk_id, (office_id, chosen) in wanted.items():
            # Every chosen month has at least the desk's min_n ratings (the counts above).
            history = {
                month: summarise(tallies.get((desk_id, month), {}), *counts[(desk_id, month)])
                for month in chosen
            }
            current = history.pop(last.start).overall
            prior = [s.overall for s in history.values() if s.overall is not None]
            if current is None or len(prior) < BEST_MONTH_MIN_PRIOR:
                continue
            best = max(prior)
            if current > best:
                n = counts[(desk_id, last.start)][0]
                detail = {"month": str(last), "index": current, "n": n, "previous_best": best}
                key = f"desk:{desk_id}:{last}"
                findings.append(
                    Finding(AlertRule.BEST_MONTH, office_id, key, desk_id, None, detail)
                )
    apply(AlertRule.BEST_MONTH, findings, Q(), now, out)


# --- The two jobs ----------------------------------------------------------------------------


def evaluate_recent(now: datetime | None = None) -> Outcome:
    """Every minute: ratings of the last minutes, and the kiosks; then e-mail what opened."""
    now = now or timezone.now()
    policies, out = Policies(), Outcome()
    evaluate_low_ratings(now, RECENT_LOOKBACK, policies, out)
    evaluate_kiosks(now, policies, out)
    out.notified = notify_pending(now)
    return out


def evaluate_all(now: datetime | None = None) -> Outcome:
    """Every quarter of an hour: everything, ratings of the last day included."""
    now = now or timezone.now()
    policies, out = Policies(), Outcome()
    evaluate_low_ratings(now, SWEEP_LOOKBACK, policies, out)
    evaluate_index_drop(now, policies, out)
    evaluate_kiosks(now, policies, out)
    evaluate_overdue_suggestions(now, policies, out)
    last = Month.of(timezone.localtime(now).date()).previous()
    run_once("alerts-best-month", str(last), lambda: evaluate_best_month(now, policies, out))
    out.notified = notify_pending(now)
    return out


# --- Words and e-mail ---------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "—" if value is None else formats.number_format(value * 100, 1) + " %"


def describe(alert: Alert) -> str:
    """One translated sentence with the alert's figures (never a citizen's words)."""
    d = alert.detail
    where = _("desk %(desk)s") % {"desk": alert.desk} if alert.desk_id else alert.office.name
    kiosk = alert.kiosk.name if alert.kiosk_id else ""  # type: ignore[union-attr]
    rule = alert.rule
    if rule == AlertRule.LOW_STREAK:
        return _("The last %(n)s ratings at %(where)s were all at 1–2.") % {
            "n": d["n"],
            "where": where,
        }
    if rule == AlertRule.LOW_SHARE:
        return _("%(low)s of the last %(of)s ratings at %(where)s were at 1–2.") % {
            "low": d["low"],
            "of": d["of"],
            "where": where,
        }
    if rule == AlertRule.INDEX_DROP:
        return _(
            "The index of %(month)s is %(index)s (95 %% interval %(low)s–%(high)s, %(n)s ratings), "
            "below last month's %(previous)s (%(plow)s–%(phigh)s): more than chance explains."
        ) % {
            "month": Month.parse(d["month"], latest=Month(9999, 12)).label,
            "index": _percent(d["index"]),
            "low": _percent(d["ci"][0]),
            "high": _percent(d["ci"][1]),
            "n": d["n"],
            "previous": _percent(d["previous"]),
            "plow": _percent(d["previous_ci"][0]),
            "phigh": _percent(d["previous_ci"][1]),
        }
    if rule == AlertRule.KIOSK_SILENT:
        if not d.get("last_heard"):
            return _("Kiosk %(kiosk)s has never been heard from while the office is open.") % {
                "kiosk": kiosk
            }
        since = timezone.localtime(datetime.fromisoformat(d["last_heard"]), alert.office.tz)
        return _(
            "Kiosk %(kiosk)s has not been heard from since %(since)s, while the office is open."
        ) % {
            "kiosk": kiosk,
            "since": formats.date_format(since, "SHORT_DATETIME_FORMAT"),
        }
    if rule == AlertRule.KIOSK_QUEUE:
        return _("Kiosk %(kiosk)s holds %(n)s ratings it has not been able to send.") % {
            "kiosk": kiosk,
            "n": d["queue"],
        }
    if rule == AlertRule.KIOSK_REFUSED:
        return _("%(n)s ratings from kiosk %(kiosk)s were refused in the last 24 hours.") % {
            "kiosk": kiosk,
            "n": d["refused"],
        }
    if rule == AlertRule.SUGGESTIONS_OVERDUE:
        return _("%(n)s suggestions are past their deadline.") % {"n": d["count"]}
    if rule == AlertRule.BEST_MONTH:
        return _("%(month)s was the best month of %(where)s: index %(index)s (%(n)s ratings).") % {
            "month": Month.parse(d["month"], latest=Month(9999, 12)).label,
            "where": where,
            "index": _percent(d["index"]),
            "n": d["n"],
        }
    return alert.get_rule_display()


def recipients(alert: Alert) -> list[str]:
    """The office head and the managers of the office's own unit (with an e-mail)."""
    addresses = [alert.office.head_email] if alert.office.head_email else []
    managers = (
        Membership.objects.filter(
            unit_id=alert.office.unit_id,
            role__in=[Role.MANAGER, Role.ADMIN],
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    return addresses + [m for m in managers if m not in addresses]


def alert_url(alert: Alert) -> str:
    return settings.SITE_URL + reverse("alerts:detail", kwargs={"pk": alert.pk})


def alert_message(alert: Alert, to: list[str]) -> EmailMessage:
    title = _("Alert at %(office)s: %(rule)s") % {
        "office": alert.office.name,
        "rule": alert.get_rule_display(),
    }
    body = "\n\n".join(
        [
            describe(alert),
            _("See the alert and acknowledge it: %(link)s") % {"link": alert_url(alert)},
            _("This e-mail carries no citizen's comment; read them in the app."),
        ]
    )
    return EmailMessage(subject=title, body=body + "\n", to=to)


def notify_pending(now: datetime) -> int:
    """E-mail every open alert not yet e-mailed (each once, even with two workers)."""
    pending = list(
        Alert.objects.open()
        .filter(notified_at__isnull=True, notify_attempts__lt=NOTIFY_ATTEMPTS)
        .values_list("pk", flat=True)
    )
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for pk in pending:
            with transaction.atomic():
                alert = (
                    Alert.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("office__unit", "desk", "kiosk")
                    .filter(pk=pk, notified_at__isnull=True)
                    .first()
                )
                if alert is None:
                    continue
                to = recipients(alert)
                alert.notify_attempts += 1
                try:
                    if to:
                        alert_message(alert, to).send()
                except Exception as exc:  # retried at the next run, NOTIFY_ATTEMPTS in all
                    logger.exception("Alert %s e-mail failed", alert.pk)
                    alert.notify_error = f"{type(exc).__name__}: {exc}"[:500]
                    alert.save(update_fields=["notify_attempts", "notify_error"])
                    continue
                alert.notified_at = now
                alert.notify_error = "" if to else "no recipient"
                alert.save(update_fields=["notify_attempts", "notify_error", "notified_at"])
                AuditEvent.record(None, "alert_emailed", alert.office, alert=alert.pk, to=to)
                sent += bool(to)
    return sent
