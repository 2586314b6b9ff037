"""The public transparency board and its printable poster (no login; see reports/board.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from common.qr import qr_svg
from reports import board
from reports.charts import trend_chart
from suggestions.models import PUBLIC_ROLE_LABELS, Category, Status

LANGUAGES = ("vi", "en", "fa")


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    return wanted if wanted in LANGUAGES else (translation.get_language() or "vi")[:2]


def _context(request: HttpRequest, office_id: int, language: str) -> dict[str, Any]:
    data = board.board_data(office_id)
    if data is None:
        raise Http404
    minimum = data["min_n"]
    published = [m for m in data["months"] if m["published"]]
    categories, statuses = dict(Category.choices), dict(Status.choices)
    answers = [
        {
            **a,
            "created": datetime.fromisoformat(a["created"]),
            "category_label": categories.get(a["category"], ""),
            "status_label": statuses.get(a["status"], ""),
            "replies": [
                {
                    **r,
                    "at": datetime.fromisoformat(r["at"]),
                    "role_label": PUBLIC_ROLE_LABELS.get(r["role"], ""),
                }
                for r in a["replies"]
            ],
        }
        for a in data["answers"]
    ]
    url = request.build_absolute_uri(reverse("board:board", args=[office_id]))
    return {
        **data,
        "answers": answers,
        "latest": published[-1] if published else None,
        "months_newest_first": list(reversed(data["months"])),
        "chart": trend_chart(
            board.trend(data),
            "board-trend",
            n_label=lambda s: f"n={s.n}" if s.n else f"n<{minimum}",
        ),
        "board_url": url,
        "language": language,
        "languages": [("vi", "Tiếng Việt"), ("en", "English"), ("fa", "فارسی")],
    }


@require_GET
def board_page(request: HttpRequest, office_id: int) -> HttpResponse:
    """An office's public board, readable on a phone (no database work once cached)."""
    language = _language(request)
    with translation.override(language):
        context = _context(request, office_id, language)
        return render(request, "reports/board.html", context)


@require_GET
def board_poster(request: HttpRequest, office_id: int) -> HttpResponse:
    """A printable A4 poster of the board with a QR code leading to it."""
    language = _language(request)
    with translation.override(language):
        context = _context(request, office_id, language)
        context["qr"] = qr_svg(f"{context['board_url']}?lang={language}")
        return render(request, "reports/board_poster.html", context)
