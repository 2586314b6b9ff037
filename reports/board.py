"""The public transparency board of an office: what citizens may see of how it is doing.

Shown only for offices whose administrator opted in (`Office.transparency_board`).
It carries the index of the last 13 months with its 95 % interval and n, the response
rate, the share of suggestions answered on time and the published answers — never a
staff name (no desk or officer figures, replies signed by role only) and never a figure
below settings.BOARD["MIN_N"] ratings (such a month says only "fewer than N").

`board_data(office_id)` computes everything in a fixed number of queries and keeps the
result (plain numbers and strings) in the cache for BOARD["CACHE_SECONDS"]; the pages
render from it, so a popular board costs no database work per view. Saving an office
drops its entry (signals in reports.apps), so opting out takes effect at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch

from common.months import Month
from offices.models import Office
from reports.figures import MonthFigures, office_figures
from reports.indices import SatisfactionSummary, empty_summary
from suggestions.models import Reply, Suggestion
from suggestions.stats import monthly_figures

MONTHS = 13
PUBLISHED_ANSWERS = 10
ABSENT = "absent"


def board_settings(key: str) -> int:
    return int(settings.BOARD[key])


def cache_key(office_id: int) -> str:
    return f"board:v1:{office_id}"


def forget(office_id: int) -> None:
    cache.delete(cache_key(office_id))


def forget_office(sender: type[Office], instance: Office, **kwargs: Any) -> None:
    """Signal receiver: an office was saved or deleted."""
    forget(instance.pk)


def board_data(office_id: int) -> dict | None:
    """The board of `office_id`, None when it has none (not opted in, inactive, unknown)."""
    key = cache_key(office_id)
    data = cache.get(key)
    if data is None:
        data = _compute(office_id) or ABSENT
        cache.set(key, data, board_settings("CACHE_SECONDS"))
    return None if data == ABSENT else data


def _compute(office_id: int) -> dict | None:
    office = (
        Office.objects.select_related("unit")
        .filter(pk=office_id, is_active=True, transparency_board=True)
        .first()
    )
    if office is None:
        return None
    months = Month.current(office.tz).last(MONTHS)
    minimum = board_settings("MIN_N")
    entries = office_figures([office.pk], months).get(office.pk) or [
        MonthFigures(m, empty_summary()) for m in months
    ]
    rows = []
    for entry in entries:
        s = entry.summary
        published = s.n >= minimum and s.has_index
        rows.append(
            {
                "month": str(entry.month),
                "label": entry.month.label,
                "published": published,
                "index": s.overall if published else None,
                "ci_low": s.ci_low if published else None,
                "ci_high": s.ci_high if published else None,
                "n": s.n if published else None,
                "response_rate": entry.response_rate if published else None,
            }
        )
    return {
        "office": {"id": office.pk, "name": office.name, "unit": office.unit.name},
        "min_n": minimum,
        "months": rows,
        "suggestions": _suggestions(office, months),
        "answers": _answers(office),
    }


def _suggestions(office: Office, months: list[Month]) -> dict:
    figures = monthly_figures([office.pk], months[0].start, months[-1].end)
    enough = figures.answer_assessable >= board_settings("SUGGESTIONS_MIN_N")
    return {
        "received": figures.received if enough else None,
        "answered_in_time": figures.answered_in_time if enough else None,
        "assessable": figures.answer_assessable if enough else None,
        "share": figures.answered_in_time / figures.answer_assessable if enough else None,
        "min_n": board_settings("SUGGESTIONS_MIN_N"),
    }


def _answers(office: Office) -> list[dict]:
    """The latest published suggestions with their public replies (signed by role only)."""
    published = (
        Suggestion.objects.filter(office=office, is_public=True)
        .only("category", "text", "status", "created_at", "office_id")
        .prefetch_related(
            Prefetch(
                "replies", queryset=Reply.objects.filter(is_public=True), to_attr="public_replies"
            )
        )
        .order_by("-created_at")[:PUBLISHED_ANSWERS]
    )
    return [
        {
            "created": s.created_at.isoformat(),
            "category": s.category,
            "status": s.status,
            "text": s.text,
            "replies": [
                {
                    "text": r.text,
                    "role": r.role,
                    "unit": r.role_unit,
                    "at": r.created_at.isoformat(),
                }
                for r in s.public_replies
            ],
        }
        for s in published
    ]


def trend(data: dict) -> list[tuple[Month, SatisfactionSummary]]:
    """The published months as summaries for the trend chart; the others are gaps."""
    result = []
    for row in data["months"]:
        year, number = map(int, row["month"].split("-"))
        if row["published"]:
            summary = SatisfactionSummary(
                n=row["n"],
                excluded=0,
                overall=row["index"],
                ci_low=row["ci_low"],
                ci_high=row["ci_high"],
                small_sample=False,
            )
        else:
            summary = empty_summary()
        result.append((Month(year, number), summary))
    return result
