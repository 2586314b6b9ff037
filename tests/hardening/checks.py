"""What every bad-input example asserts: no 5xx, no partial row, a refusal that says why."""

from __future__ import annotations

import html
import re

from django.db import connection

from surveys.models import Answer

NOTHING = (0, 0, 0, 0, 0, 0, 0)
# Pages that exist to say why something was refused (each has an <h1> saying it).
MESSAGE_TEMPLATES = {
    "400.html",
    "404.html",
    "surveys/message.html",
    "suggestions/choose_office.html",  # a post naming no office: choose it first
    "suggestions/office_missing.html",
    "suggestions/track.html",
}


def counts() -> tuple[int, ...]:
    """(responses, answers, response roll-up total, answer roll-up total, suggestions,
    stamps, replies) in one query: a rating must move all of the first four or none."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT count(*) FROM surveys_response),
                      (SELECT count(*) FROM surveys_answer),
                      (SELECT coalesce(sum(valid + flagged), 0) FROM surveys_responserollup),
                      (SELECT coalesce(sum(count), 0) FROM surveys_answerrollup),
                      (SELECT count(*) FROM suggestions_suggestion),
                      (SELECT count(*) FROM suggestions_seenstamp),
                      (SELECT count(*) FROM suggestions_reply)"""
        )
        return tuple(int(v) for v in cursor.fetchone())


def delta(before: tuple, after: tuple) -> tuple:
    return tuple(b - a for a, b in zip(before, after, strict=True))


class Ledger:
    """The row counts as of the last look: one query per example gives what it changed
    (examples of a test run one after another against the same database)."""

    def __init__(self):
        self.state = counts()

    def change(self) -> tuple:
        now = counts()
        change, self.state = delta(self.state, now), now
        return change


def one_complete_rating(rating_id, change: tuple, answers: int | None = None) -> None:
    """`change` is exactly one response with all its answers and roll-up increments."""
    stored = list(
        Answer.objects.filter(response_id=rating_id).values_list(
            "score", "choice_id", "response__is_misuse", "question__code", "text"
        )
    )
    assert stored, f"rating {rating_id} was not stored"
    scored = sum(1 for score, choice, *_rest in stored if score is not None or choice is not None)
    misuse = stored[0][2]
    expected = (1, len(stored), 1, 0 if misuse else scored, 0, 0, 0)
    assert change == expected, (change, expected)
    if answers is not None:
        assert len(stored) == answers, stored


def refused_with_json_message(reply, change: tuple) -> None:
    body = reply.json()
    assert 400 <= reply.status_code < 500, (reply.status_code, body)
    assert isinstance(body.get("message"), str) and len(body["message"].strip()) > 5, body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert change == NOTHING, change


def page_text(reply) -> str:
    return html.unescape(reply.content.decode("utf-8"))


def refused_with_form_error(reply, change: tuple) -> None:
    """A 4xx page that shows the reason: the bound form's errors, or a message page."""
    assert 400 <= reply.status_code < 500, reply.status_code
    assert change == NOTHING, change
    text = page_text(reply)
    context = reply.context
    form = context.get("form") if context is not None else None
    if form is not None and getattr(form, "is_bound", False) and form.errors:
        shown = [str(m) for m in form.non_field_errors()]
        for name, errors in form.errors.items():
            field = form.fields.get(name)
            if field is not None and not field.widget.is_hidden:  # errors of a hidden field
                shown += [str(m) for m in errors]  # come from tampering, not from people
        assert shown, form.errors
        for message in shown:
            assert message in text, message
        return
    if context is not None and context.get("title"):
        assert str(context["title"]) in text and str(context["body"]) in text
        return
    used = {t.name for t in reply.templates}
    assert used & MESSAGE_TEMPLATES, f"refusal {reply.status_code} without a visible reason"
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
    assert heading and heading.group(1).strip(), "a message page without a heading"


__all__ = [
    "NOTHING",
    "Ledger",
    "counts",
    "delta",
    "one_complete_rating",
    "page_text",
    "refused_with_form_error",
    "refused_with_json_message",
]
