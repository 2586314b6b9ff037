"""Charts drawn on the server as SVG, the same markup in the web page and the PDF.

Only presentation attributes (fill="…", stroke="…") are used: the CSP forbids
style attributes. Every chart has a <title> and <desc> referenced by aria-labelledby.
Right-to-left languages get a mirrored drawing (labels on the right, bars growing
leftwards, time running right to left) through `Canvas`, which flips x coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

from reports.indices import SatisfactionSummary

if TYPE_CHECKING:
    from common.months import Month

FONT = "Report Sans, DejaVu Sans, Noto Sans, Arial, sans-serif"
ACCENT = "#0b5394"
MUTED = "#6c757d"
GRID = "#dee2e6"
LEVEL_COLOURS = {5: "#1a7f37", 4: "#74c476", 3: "#bdbdbd", 2: "#f0a03c", 1: "#c9302c"}


def percent(share: float | None, digits: int = 0) -> str:
    """A share as a localised percentage ("82 %", "82,5 %"), "—" when unknown."""
    if share is None:
        return "—"
    return f"{number_format(share * 100, digits)} %"


class Canvas:
    """An SVG drawing whose x axis is mirrored for right-to-left languages."""

    def __init__(self, width: int, height: int, chart_id: str, title: str, desc: str = "") -> None:
        self.width, self.height = width, height
        self.rtl = get_language_bidi()
        # Without the language WeasyPrint may draw Persian glyphs unshaped, in reverse.
        self.language = (get_language() or "vi")[:2]
        self.chart_id = chart_id
        self.title, self.desc = title, desc
        self.parts: list[str] = []

    def x(self, x: float) -> float:
        return self.width - x if self.rtl else x

    def anchor(self, anchor: str) -> str:
        if not self.rtl or anchor == "middle":
            return anchor
        return "end" if anchor == "start" else "start"

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str,
        label: str = "",
        **attrs: str | float,
    ) -> None:
        left = self.width - x - w if self.rtl else x
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        title = f"<title>{escape(label)}</title>" if label else ""
        self.parts.append(
            f'<rect x="{left:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
            f'fill="{fill}"{extra}>{title}</rect>'
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str,
        width: float = 1,
        dash: str = "",
    ) -> None:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{self.x(x1):.1f}" y1="{y1:.1f}" x2="{self.x(x2):.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="{width}"{dashed}/>'
        )

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        anchor: str = "start",
        size: float = 12,
        fill: str = "#212529",
        bold: bool = False,
    ) -> None:
        # The root <svg> says direction="ltr" (an rtl page would otherwise flip what
        # text-anchor means); anchors are mirrored here instead, which browsers and
        # WeasyPrint read alike. The bidi algorithm still orders Persian glyphs.
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(
            f'<text x="{self.x(x):.1f}" y="{y:.1f}" text-anchor="{self.anchor(anchor)}" '
            f'font-size="{size}" fill="{fill}"{weight}>{escape(content)}</text>'
        )

    def polyline(self, points: list[tuple[float, float]], stroke: str, width: float = 2) -> None:
        coords = " ".join(f"{self.x(x):.1f},{y:.1f}" for x, y in points)
        self.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="{width}" '
            'stroke-linejoin="round"/>'
        )

    def polygon(self, points: list[tuple[float, float]], fill: str, opacity: float = 1) -> None:
        coords = " ".join(f"{self.x(x):.1f},{y:.1f}" for x, y in points)
        self.parts.append(f'<polygon points="{coords}" fill="{fill}" fill-opacity="{opacity}"/>')

    def circle(self, x: float, y: float, r: float, fill: str, label: str = "") -> None:
        title = f"<title>{escape(label)}</title>" if label else ""
        self.parts.append(
            f'<circle cx="{self.x(x):.1f}" cy="{y:.1f}" r="{r}" fill="{fill}">{title}</circle>'
        )

    def render(self) -> SafeString:
        title_id, desc_id = f"{self.chart_id}-title", f"{self.chart_id}-desc"
        return mark_safe(  # noqa: S308 — every piece of text above went through escape()
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" '
            f'height="{self.height}" font-family="{FONT}" direction="ltr" '
            f'xml:lang="{self.language}" '
            f'aria-labelledby="{title_id} {desc_id}" id="{self.chart_id}">'
            f'<title id="{title_id}">{escape(self.title)}</title>'
            f'<desc id="{desc_id}">{escape(self.desc)}</desc>' + "".join(self.parts) + "</svg>"
        )


def wrap(label: str, width: int = 30) -> list[str]:
    """Split a label into at most two lines of about `width` characters (… when longer)."""
    if len(label) <= width:
        return [label]
    cut = label.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else width
    first, rest = label[:cut], label[cut:].strip()
    return [first, rest if len(rest) <= width else rest[: width - 1] + "…"]


def _empty(canvas: Canvas) -> SafeString:
    canvas.text(canvas.width / 2, canvas.height / 2, _("No ratings"), anchor="middle", fill=MUTED)
    return canvas.render()


def factor_bars(summary: SatisfactionSummary, chart_id: str = "chart-factors") -> SafeString:
    """Share satisfied per SIPAS factor, with the 95 % interval as a whisker."""
    rows = list(summary.factors)
    label_w, bar_w, row_h = 230, 330, 34
    canvas = Canvas(
        label_w + bar_w + 70,
        max(row_h * len(rows), row_h) + 28,
        chart_id,
        _("Share satisfied by factor"),
        "; ".join(f"{f.label}: {percent(f.share)}" for f in rows),
    )
    if not rows:
        return _empty(canvas)
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = label_w + tick * bar_w
        canvas.line(x, 4, x, row_h * len(rows) + 4, GRID)
        canvas.text(x, row_h * len(rows) + 20, percent(tick), anchor="middle", size=10, fill=MUTED)
    for i, factor in enumerate(rows):
        y = i * row_h + 6
        lines = wrap(factor.label)
        for k, line in enumerate(lines):
            offset = 16 if len(lines) == 1 else 9 + 13 * k
            canvas.text(
                label_w - 8, y + offset, line, anchor="end", size=12 if len(lines) == 1 else 11
            )
        canvas.rect(label_w, y, factor.share * bar_w, 22, ACCENT, label=percent(factor.share, 1))  # type: ignore[operator]
        if factor.ci_low is not None:
            low, high = label_w + factor.ci_low * bar_w, label_w + factor.ci_high * bar_w  # type: ignore[operator]
            canvas.line(low, y + 11, high, y + 11, "#212529", 1.5)
            canvas.line(low, y + 5, low, y + 17, "#212529", 1.5)
            canvas.line(high, y + 5, high, y + 17, "#212529", 1.5)
        canvas.text(label_w + bar_w + 8, y + 16, percent(factor.share), size=12, bold=True)
    return canvas.render()


def distribution_bars(summary: SatisfactionSummary, chart_id: str = "chart-levels") -> SafeString:
    """Answers at each of the five levels (all five-level questions of the index)."""
    rows = list(summary.distribution)
    label_w, bar_w, row_h = 170, 330, 30
    canvas = Canvas(
        label_w + bar_w + 110,
        row_h * 5 + 8,
        chart_id,
        _("Distribution of the five levels"),
        "; ".join(f"{r.label}: {r.count}" for r in rows),
    )
    if not any(r.count for r in rows):
        return _empty(canvas)
    for i, level in enumerate(rows):
        y = i * row_h + 4
        canvas.text(label_w - 8, y + 15, f"{level.score} · {level.label}", anchor="end", size=12)
        canvas.rect(label_w, y, (level.share or 0) * bar_w, 20, LEVEL_COLOURS[level.score])
        canvas.text(label_w + bar_w + 8, y + 15, f"{percent(level.share)} ({level.count})", size=12)
    return canvas.render()


WITHHELD_MARK = "–"  # a month withheld by the staff minimum: no count, not even n=0


def _n_label(summary: SatisfactionSummary) -> str:
    return WITHHELD_MARK if summary.withheld else f"n={summary.n}"


def _month_description(
    month: Month, summary: SatisfactionSummary, n_label: Callable[[SatisfactionSummary], str]
) -> str:
    if summary.withheld:
        return _("%(month)s: withheld (too few ratings)") % {"month": month.label}
    return f"{month.label}: {percent(summary.overall)} ({n_label(summary)})"


def trend_chart(
    trend: list[tuple[Month, SatisfactionSummary]],
    chart_id: str = "chart-trend",
    n_label: Callable[[SatisfactionSummary], str] = _n_label,
) -> SafeString:
    """The overall index month by month with its 95 % band; months without data are gaps.

    `n_label(summary)` writes the count under each month (the public board writes
    "n<30" for a month it does not publish)."""
    left, top, plot_w, plot_h = 48, 12, 560, 180
    canvas = Canvas(
        left + plot_w + 20,
        top + plot_h + 44,
        chart_id,
        _("Satisfaction index, last 13 months"),
        "; ".join(_month_description(m, s, n_label) for m, s in trend),
    )
    if not any(s.has_index for _m, s in trend):
        return _empty(canvas)
    step = plot_w / max(len(trend) - 1, 1)

    def y_of(share: float) -> float:
        return top + (1 - share) * plot_h

    for tick in (0, 0.25, 0.5, 0.75, 1):
        canvas.line(left, y_of(tick), left + plot_w, y_of(tick), GRID)
        canvas.text(left - 6, y_of(tick) + 4, percent(tick), anchor="end", size=10, fill=MUTED)
    segments: list[list[int]] = [[]]
    for i, (_m, summary) in enumerate(trend):
        if summary.has_index:
            segments[-1].append(i)
        elif segments[-1]:
            segments.append([])
    # Segments and circles are drawn for months with an index only, whose index and
    # interval are known: mypy cannot tell that from `has_index` (the ignores below).
    for segment in (s for s in segments if s):
        band = [(left + i * step, y_of(trend[i][1].ci_high)) for i in segment]  # type: ignore[arg-type]
        band += [(left + i * step, y_of(trend[i][1].ci_low)) for i in reversed(segment)]  # type: ignore[arg-type]
        canvas.polygon(band, ACCENT, opacity=0.15)
        canvas.polyline([(left + i * step, y_of(trend[i][1].overall)) for i in segment], ACCENT)  # type: ignore[arg-type]
    for i, (month, summary) in enumerate(trend):
        x = left + i * step
        canvas.text(
            x, top + plot_h + 18, month.label[:3] + month.label[5:], anchor="middle", size=9
        )
        canvas.text(x, top + plot_h + 32, n_label(summary), anchor="middle", size=8, fill=MUTED)
        if summary.has_index:
            label = f"{month.label}: {percent(summary.overall, 1)} ({n_label(summary)})"
            canvas.circle(x, y_of(summary.overall), 4 if summary.small_sample else 5, ACCENT, label)  # type: ignore[arg-type]
    return canvas.render()


def _shade(value: int, peak: int) -> str:
    """From a pale to the accent blue, by value / peak."""
    if not value:
        return "#f8f9fa"
    t = 0.15 + 0.85 * value / peak
    pale, dark = (0xE7, 0xF0, 0xFA), (0x0B, 0x53, 0x94)
    r, g, b = (round(p + (d - p) * t) for p, d in zip(pale, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_map(counts: dict[tuple[int, int], int], chart_id: str = "chart-heat") -> SafeString:
    """Valid ratings by weekday (rows) and local hour (columns)."""
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    hours = sorted({h for _d, h in counts}) or list(range(7, 18))
    hours = list(range(min(min(hours), 7), max(max(hours), 17) + 1))
    left, top, cell_w, cell_h = 48, 22, 36, 24
    canvas = Canvas(
        left + cell_w * len(hours) + 8,
        top + cell_h * 7 + 8,
        chart_id,
        _("Ratings by weekday and hour"),
        _("Number of valid ratings in each hour of each weekday, local time."),
    )
    peak = max(counts.values(), default=0)
    for j, hour in enumerate(hours):
        canvas.text(left + j * cell_w + cell_w / 2, top - 8, f"{hour}h", anchor="middle", size=10)
    for i, name in enumerate(weekdays, start=1):
        y = top + (i - 1) * cell_h
        canvas.text(left - 6, y + 16, name, anchor="end", size=11)
        for j, hour in enumerate(hours):
            value = counts.get((i, hour), 0)
            x = left + j * cell_w
            canvas.rect(
                x + 1,
                y + 1,
                cell_w - 2,
                cell_h - 2,
                _shade(value, peak),
                f"{name} {hour}h: {value}",
            )
            if value:
                colour = "#ffffff" if value > peak * 0.45 else "#212529"
                canvas.text(
                    x + cell_w / 2, y + 16, str(value), anchor="middle", size=9, fill=colour
                )
    return canvas.render()
