"""An id in a URL beyond what PostgreSQL's bigint holds is a page not found, never a 500.

`<int:pk>` accepts any run of digits; Django 5 turns a lookup with an out-of-range integer
into an empty result rather than an error, and this test keeps every URL with an id to
that, so a view that casts or compares the id itself cannot bring the 500 back.
"""

from __future__ import annotations

import string

import pytest
from django.core.cache import cache

from tests.test_permission_matrix import expected_matrix, objects  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

HUGE = 2**70  # 22 digits: past bigint (2**63 - 1)
NUMERIC = {"office", "desk", "staff", "comment", "suggestion", "alert", "inspection", "case"}
NUMERIC |= {"version", "flagged", "ward", "par_set", "evidence"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def urls_with_ids() -> list[tuple[str, str, str]]:
    rows = []
    for name, (method, template, _statuses) in expected_matrix().items():
        if _fields(template) & NUMERIC:
            rows.append((name, method, template))
    return sorted(rows)


def test_the_matrix_has_urls_with_ids_to_try():
    names = {name for name, _, _ in urls_with_ids()}
    assert {"inspections:detail", "suggestions:detail", "reports:report"} <= names


@pytest.mark.parametrize("persona", ["admin", "alice", "anonymous"])
def test_an_id_past_bigint_is_never_a_server_error(client, objects, persona):  # noqa: F811
    """Each id in turn is made huge while the others stay real, so the lookup reached is
    the one of that id, not a 404 of another one before it. A superuser, who passes every
    scope check, must get "not found" for an id in the path; the others get their refusal
    or "not found"; an id in a query string may also give an empty page."""
    user = objects["personas"][persona]
    if user is not None:
        client.force_login(user)
    errors, tried = [], 0
    for name, method, template in urls_with_ids():
        path = template.partition("?")[0]
        for field in sorted(_fields(template) & NUMERIC):
            url = template.format(**{**objects, field: HUGE})
            cache.clear()  # rate limits of the public pages
            response = client.post(url) if method == "POST" else client.get(url)
            tried += 1
            status = response.status_code
            in_path = field in _fields(path)
            if status >= 500 or (persona == "admin" and in_path and status != 404):
                errors.append((name, field, status))
            assert b"out of range" not in response.content, (name, field)
    assert tried > 30
    assert not errors, errors
