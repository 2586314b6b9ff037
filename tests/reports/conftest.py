"""Survey fixtures for report tests: a core survey covering the index, conduct, reasons
and comments, and a `rate` helper that records ratings through the real write path."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import ChoiceFactory, QuestionFactory, make_response, make_survey

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def questions(db):
    reasons = QuestionFactory(code="low-reasons", kind="multi", factor="", text_vi="Lý do")
    slow = ChoiceFactory(question=reasons, code="slow", text_vi="Chờ lâu", text_en="Long wait")
    rude = ChoiceFactory(question=reasons, code="rude", text_vi="Thái độ", text_en="Attitude")
    return {
        "access": QuestionFactory(code="access", factor="access", text_vi="Tiếp cận dịch vụ"),
        "procedures": QuestionFactory(code="procedures", factor="procedures"),
        "officials": QuestionFactory(code="officials", factor="officials", reasons=reasons),
        "results": QuestionFactory(code="results", factor="results"),
        "greet": QuestionFactory(code="greet", kind="yesno", factor="conduct"),
        "reasons": reasons,
        "slow": slow,
        "rude": rude,
        "comment": QuestionFactory(code="comment", kind="text", factor=""),
    }


@pytest.fixture
def version(tree, questions):
    order = ["access", "procedures", "officials", "results", "greet", "reasons", "comment"]
    return make_survey(tree.city, [questions[k] for k in order], required=False)


@pytest.fixture
def rate(version, questions):
    """rate(office, access=5, officials=2, reasons=["slow"], comment="…", when=…, …)."""

    def record(office, *, when=None, misuse=False, **answers):
        keep = ("desk", "staff", "channel", "id", "received_at")
        fields = {k: answers.pop(k) for k in keep if k in answers}
        scores = {}
        for code, value in answers.items():
            if code == "reasons":
                value = [questions[c] for c in value]
            scores[questions[code]] = value
        when = when or datetime(2026, 3, 10, 9, 0, tzinfo=HANOI)
        fields.setdefault("received_at", when)  # arrived as it was given (no offline queue)
        return make_response(version, office, scores, when=when, misuse=misuse, **fields)

    return record


@pytest.fixture
def client(client):
    """Pages in English unless a test asks otherwise (assertions read the English msgids)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
