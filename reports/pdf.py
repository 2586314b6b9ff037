"""The monthly report as a PDF (WeasyPrint): the same body and SVG charts as the page,
with an official header and a signature block. The font is shipped in
static/reports/fonts (DejaVu Sans covers Vietnamese and Persian), so the output does
not depend on the fonts installed on the server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

if TYPE_CHECKING:
    from reports.monthly import MonthlyReport

# WeasyPrint reports each layout step at INFO: noise in the server log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_COMMENTS = 20  # the newest comments printed in the PDF; the page lists them all
FONT_FILES = {
    "regular": "reports/fonts/DejaVuSans.ttf",
    "bold": "reports/fonts/DejaVuSans-Bold.ttf",
}


def _font_uri(name: str) -> str:
    found = finders.find(name) or str(settings.BASE_DIR / "static" / name)
    return Path(found).resolve().as_uri()


def render_report_html(report: MonthlyReport, **context: Any) -> str:
    now = timezone.localtime(timezone.now())
    return render_to_string(
        "reports/report_pdf.html",
        {
            "report": report,
            "fonts": {key: _font_uri(path) for key, path in FONT_FILES.items()},
            "today": now.date(),
            **context,
        },
    )


def render_pdf(report: MonthlyReport, **context: Any) -> bytes:
    from weasyprint import HTML

    html = render_report_html(report, **context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
