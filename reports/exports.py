"""The report's exporters: every table of a monthly report, and the raw responses.

common.exports writes them (CSV streamed, XLSX row by row, every cell formula-safe).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.exports import Exporter, Table
from common.months import Month, instant_window, local_date
from reports.indices import RankedRow, SatisfactionSummary, staff_min_n

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from reports.monthly import MonthlyReport
    from reports.subjects import Subject
    from surveys.models import Answer


def _share(value: float | None) -> float | str:
    return round(value, 4) if value is not None else ""


# --- The report's tables ---------------------------------------------------------------


class ReportTablesExporter(Exporter):
    """Every table of a monthly report (shares as fractions 0..1, four decimals)."""

    def __init__(self, report: MonthlyReport) -> None:
        self.report = report
        self.filename = f"report-{report.subject.kind}-{report.subject.pk}-{report.month}"

    def tables(self) -> Iterator[Table]:
        report, summary = self.report, self.report.summary
        withheld = _("hidden: fewer than %(n)s ratings") % {"n": staff_min_n()}
        if report.withheld:
            # About one officer below the minimum: the file says only that, nothing else.
            yield Table(_("Summary"), [_("Item"), _("Value")], self._withheld_rows())
            return
        yield Table(_("Summary"), [_("Item"), _("Value")], self._summary_rows())
        yield Table(
            _("Factors"),
            [_("Factor"), _("Share satisfied"), _("CI low"), _("CI high"), _("Answers")],
            (
                [f.label, _share(f.share), _share(f.ci_low), _share(f.ci_high), f.n]
                for f in summary.factors
            ),
        )
        question_headers = [_("Code"), _("Question"), _("Factor"), _("Share satisfied")]
        question_headers += [_("CI low"), _("CI high"), _("Mean score"), _("Answers")]
        question_headers += [_("Source")]
        origins = {"core": _("core"), "local": _("local")}
        yield Table(
            _("Questions"),
            question_headers,
            (
                [q.code, q.text, q.factor, _share(q.share), _share(q.ci_low), _share(q.ci_high)]
                + [round(q.mean, 2) if q.mean is not None else "", q.n]
                + [origins[report.origin(q.code)]]
                for q in summary.questions + summary.conduct
            ),
        )
        yield Table(
            _("Distribution"),
            [_("Score"), _("Level"), _("Answers"), _("Share")],
            ([d.score, d.label, d.count, _share(d.share)] for d in summary.distribution),
        )
        yield Table(
            _("Trend"),
            [_("Month"), _("Valid ratings"), _("Excluded"), _("Index"), _("CI low"), _("CI high")],
            (
                [str(m), withheld, "", "", "", ""]
                if s.withheld
                else [
                    str(m),
                    s.n,
                    s.excluded,
                    _share(s.overall),
                    _share(s.ci_low),
                    _share(s.ci_high),
                ]
                for m, s in report.trend
            ),
        )
        yield Table(
            _("Excluded as misuse, by reason"),
            [_("Reason"), _("Ratings")],
            ([label, count] for _kind, label, count in report.excluded_reasons),
        )
        yield Table(
            _("Reasons for low scores"),
            [_("Reason"), _("Times chosen"), _("Share")],
            ([r.text, r.count, _share(r.share)] for r in report.reasons),
        )
        for title, rows in (
            (_("Units and offices"), report.children),
            (_("Desks"), report.desks),
            (_("Staff"), report.staff),
            (_("Procedure fields"), report.fields),
        ):
            if rows:
                conduct = report.conduct_columns if rows is report.staff else []
                yield Table(
                    title,
                    _ranked_headers() + [text for _code, text in conduct],
                    _ranked_rows(rows, [code for code, _text in conduct]),
                )

    def _withheld_rows(self) -> Iterator[list[str | float]]:
        report = self.report
        yield [_("Report of"), report.subject.full_name]
        yield [_("Month"), str(report.month)]
        yield [
            _("Figures"),
            _("Not shown: fewer than %(n)s valid ratings about one staff member in the month.")
            % {"n": staff_min_n()},
        ]

    def _summary_rows(self) -> Iterator[list[str | float]]:
        report, summary = self.report, self.report.summary
        yield [_("Report of"), report.subject.full_name]
        yield [_("Month"), str(report.month)]
        yield [_("Valid ratings"), summary.n]
        yield [_("Excluded as misuse"), summary.excluded]
        yield [_("Completed in full"), report.completed_in_full]
        yield [_("Partial (left before the last question)"), report.partial]
        yield [_("Satisfaction index"), _share(summary.overall)]
        yield [_("Interval low (95 %)"), _share(summary.ci_low)]
        yield [_("Interval high (95 %)"), _share(summary.ci_high)]
        yield [_("Mean score (1–5)"), round(summary.mean_score, 2) if summary.mean_score else ""]
        yield [_("Change against previous month"), _share(report.change_previous)]
        yield [_("Change against same month last year"), _share(report.change_last_year)]
        rate = report.rate
        yield [_("Response rate"), _share(rate.rate) if rate and rate.known else _("unknown")]
        yield [_("Small sample"), _("yes") if summary.small_sample else _("no")]
        revision = report.revision
        if revision is not None:
            yield [_("Ratings that arrived late (after the month closed)"), revision.late]
            revised = _("yes") if revision.revised else _("no")
            yield [_("Revised after the report was sent"), revised]
            if revision.sent_at is not None and revision.sent_n is not None:
                yield [_("Valid ratings as sent"), revision.sent_n]
                yield [_("Satisfaction index as sent"), _share(revision.sent_index)]


def _ranked_headers() -> list[str]:
    return [_("Rank"), _("Name"), _("Detail"), _("Valid ratings"), _("Index")] + [
        _("CI low"),
        _("CI high"),
        _("Not distinguishable from neighbours"),
    ]


def _ranked_rows(rows: list[RankedRow], conduct: Sequence[str] = ()) -> Iterator[list[str | float]]:
    """Rows below the minimum are not listed (not even by name): one closing line counts
    them. `conduct`: question codes whose yes-rate follows the index (staff table)."""
    hidden = sum(1 for row in rows if row.hidden)
    for row in rows:
        summary: SatisfactionSummary = row.summary
        if row.hidden:
            continue
        rates = {q.code: q.share for q in summary.conduct}
        yield [
            row.rank or "",
            row.label,
            row.detail,
            summary.n,
            _share(summary.overall),
            _share(summary.ci_low),
            _share(summary.ci_high),
            _("yes") if row.tied else "",
            *(_share(rates.get(code)) for code in conduct),
        ]
    if hidden:
        yield [
            "",
            ngettext(
                "%(n)s more not listed: fewer than %(min)s ratings",
                "%(n)s more not listed: fewer than %(min)s ratings each",
                hidden,
            )
            % {"n": hidden, "min": staff_min_n()},
        ]


# --- Raw responses -----------------------------------------------------------------------------


def answers_in_month(subject: Subject, month: Month) -> QuerySet[Answer]:
    """Answers of the subject's responses whose local day falls in `month` (all ratings,
    flagged ones included and marked): the raw data, read from the response table."""
    from surveys.models import Answer

    start, end = instant_window(month.start, month.end)
    answers = Answer.objects.filter(
        response__office__in=subject.offices,
        response__submitted_at__gte=start,
        response__submitted_at__lt=end,
    )
    if subject.kind == "desk":
        answers = answers.filter(response__desk_id=subject.pk)
    elif subject.kind == "staff":
        answers = answers.filter(response__staff_id=subject.pk)
    return answers.annotate(
        local_day=local_date("response__submitted_at", "response__office__time_zone")
    ).filter(local_day__gte=month.start, local_day__lt=month.end)


class RawResponsesExporter(Exporter):
    """One row per answer; a server-side cursor feeds the stream in chunks."""

    several_tables = False
    FIELDS = [
        "response_id",
        "response__submitted_at",
        "response__office__time_zone",
        "response__office__name",
        "response__desk__number",
        "response__staff__full_name",
        "response__channel",
        "response__language",
        "response__is_misuse",
        "response__misuse_reason",
        "question__code",
        "score",
        "choice__code",
        "text",
        "is_hidden",
        "response__staff_id",
        "response__desk_id",
    ]

    def __init__(self, subject: Subject, month: Month, *, to_the_hour: bool = False) -> None:
        """`to_the_hour`: times without minutes and seconds (for viewers), so a rating
        cannot be matched to the citizen an officer served at that minute."""
        from reports.anonymity import desks_withheld, officers_shown, subject_withheld

        self.subject, self.month, self.to_the_hour = subject, month, to_the_hour
        self.filename = f"responses-{subject.kind}-{subject.pk}-{month}"
        # Officers are named only where they reach the minimum in the exported month;
        # a single-officer desk below it is not named either; a report about one such
        # officer or desk exports no rows at all.
        self.named = officers_shown(subject.offices, month.start, month.end)
        self.unnamed_desks = desks_withheld(subject.offices, month.start, month.end)
        self.withheld = subject_withheld(subject, month.start, month.end)

    def tables(self) -> Iterator[Table]:
        headers = [_("Response"), _("Submitted (local time)"), _("Office"), _("Desk")]
        headers += [_("Staff member"), _("Channel"), _("Language"), _("Flagged as misuse")]
        headers += [_("Misuse reason"), _("Question"), _("Score"), _("Choice"), _("Text")]
        yield Table(_("Responses"), headers, self.rows())

    def rows(self) -> Iterator[list]:
        if self.withheld:
            return
        zones: dict[str, ZoneInfo] = {}
        hidden = _("(hidden as abusive)")
        time_format = "%Y-%m-%d %H:00" if self.to_the_hour else "%Y-%m-%d %H:%M:%S"
        rows = (
            answers_in_month(self.subject, self.month)
            .order_by("response__submitted_at", "response_id", "pk")
            .values_list(*self.FIELDS)
            .iterator(chunk_size=2000)
        )
        for row in rows:
            (rid, at, zone, office, desk, staff, channel, language, misuse, reason) = row[:10]
            question, score, choice, text, is_hidden, staff_id, desk_id = row[10:]
            tz = zones.setdefault(zone, ZoneInfo(zone))
            yield [
                str(rid),
                _local(at, tz, time_format),
                office,
                "" if desk_id in self.unnamed_desks else desk or "",
                staff if staff_id in self.named else "",
                channel,
                language,
                _("yes") if misuse else _("no"),
                reason,
                question,
                "" if score is None else score,
                choice or "",
                hidden if is_hidden and text else text,
            ]


def _local(instant: datetime, tz: ZoneInfo, time_format: str = "%Y-%m-%d %H:%M:%S") -> str:
    return instant.astimezone(tz).strftime(time_format)
