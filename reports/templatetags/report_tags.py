"""Formatting for report pages and the PDF (localised numbers, signed changes, links)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from reports.charts import percent

if TYPE_CHECKING:
    from collections.abc import Iterable
    from decimal import Decimal

    from common.months import Month
    from reports.indices import RankedRow, SatisfactionSummary
    from reports.subjects import Crumb

register = template.Library()


@register.filter
def pct(share: float | None, digits: int | str = 0) -> str:
    """0.825 → "83 %" (localised); None → "—"."""
    return percent(share, int(digits))


@register.filter
def points(change: float | None) -> str:
    """A change of the index in percentage points, signed: +3,2 pp / −1,0 pp / —."""
    if change is None:
        return "—"
    value = change * 100
    sign = "+" if value > 0.05 else ("−" if value < -0.05 else "±")
    return _("%(sign)s%(value)s pp") % {"sign": sign, "value": number_format(abs(value), 1)}


@register.filter
def trend_class(change: float | None) -> str:
    if change is None or abs(change) < 0.0005:
        return "text-body-secondary"
    return "text-success" if change > 0 else "text-danger"


@register.filter
def decimal(value: Decimal | float | None, digits: int | str = 1) -> str:
    return "—" if value is None else number_format(value, int(digits))


@register.simple_tag
def row_link(key: tuple[str, int | None], month: Month, dashboard: bool = False) -> str:
    """Link of a comparison row: ("unit"|"office"|"desk"|"staff"|"field", pk)."""
    kind, pk = key
    if pk is None or kind == "field":
        return ""
    if dashboard and kind == "unit":
        return reverse("reports:dashboard") + f"?unit={pk}"
    return reverse("reports:report", kwargs={"kind": kind, "pk": pk, "month": str(month)})


@register.simple_tag
def crumb_link(crumb: Crumb, month: Month) -> str:
    return reverse(
        "reports:report", kwargs={"kind": crumb.kind, "pk": crumb.pk, "month": str(month)}
    )


@register.simple_tag
def conduct_rate(summary: SatisfactionSummary, code: str) -> float | None:
    """The yes-rate of conduct question `code` in `summary` (None when not answered)."""
    return next((q.share for q in summary.conduct if q.code == code), None)


@register.simple_tag
def hidden_count(rows: Iterable[RankedRow]) -> int:
    """How many rows of a ranked table are below the minimum (not listed)."""
    return sum(1 for row in rows if row.hidden)
