"""Fixtures of the suggestion book: suggestions in the shared tree, a ready form post."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from suggestions.forms import form_started_token
from suggestions.models import Category, Suggestion


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings):
    """Tests post at once; the minimum fill time has its own tests."""
    settings.SUGGESTIONS = {**settings.SUGGESTIONS, "MIN_FILL_SECONDS": 0}


def make_suggestion(office, *, when=None, **fields) -> Suggestion:
    suggestion = Suggestion(
        office=office,
        category=fields.pop("category", Category.PROCEDURES),
        text=fields.pop("text", "Nên bổ sung thêm ghế chờ ở sảnh."),
        created_at=when or timezone.now(),
        **fields,
    )
    suggestion.save()
    return suggestion


@pytest.fixture
def suggestion_a(tree):
    return make_suggestion(
        tree.office_a, name="Trần Thị Mai", contact="0912345678", contact_consent=True
    )


@pytest.fixture
def suggestion_b(tree):
    return make_suggestion(tree.office_b, text="Máy lấy số bị hỏng cả tuần nay.")


@pytest.fixture
def form_data():
    """A valid citizen post; pass the office id unless the link locks it."""

    def build(**overrides):
        data = {
            "category": Category.PREMISES,
            "text": "Sảnh chờ thiếu ghế cho người cao tuổi.",
            "name": "",
            "contact": "",
            "website": "",
            "started": form_started_token(),
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return build
