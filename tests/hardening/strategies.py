"""Hypothesis strategies for hostile input, and the settings every test here uses.

How the payloads are made, cheaply: each example gets a few *fuzz values* from
Hypothesis's own text and JSON strategies (unicode of every kind, the edge cases
below, numbers at the limits) and a Random seeded by Hypothesis (`st.randoms`)
that makes the many small structural choices (which field to drop, which answer to
break, which encoding to send). Drawing twenty-five small values one by one through
`st.data()` costs about 3 ms an example, more than the request under test; this way
an example costs about 1 ms to generate, and it replays from its seed all the same.

Each payload builder also says what the server must do with it: VALID (stored,
exactly once), INVALID (refused with a message, nothing stored) or EITHER (the
builder cannot tell; the server may store one complete rating or refuse, never
anything in between).
"""

from __future__ import annotations

import os
from functools import cache

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

VALID, INVALID, EITHER = "valid", "invalid", "either"

# HARDENING_SCALE multiplies the number of examples for a longer hunt
# (HARDENING_SCALE=10 .venv/bin/pytest tests/hardening).
SCALE = float(os.environ.get("HARDENING_SCALE", "1"))
# Shrinking a failing view test can take minutes, so it is off unless asked for:
# rerun with the printed seed and HARDENING_SHRINK=1 to get the smallest example.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("HARDENING_SHRINK") else []
)


def examples(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        database=None,
        phases=PHASES,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # the world is shared by the examples
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
    "</textarea><script>alert(1)</script>",
    "<svg onload=alert(1)><circle r=9/></svg>",
    "<svg><script>alert(1)</script></svg>",
    "'\"><iframe src=javascript:alert(1)>",
    "{{ request.user }}{% debug %}",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]

EDGES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # lone high surrogate
    "\udfff",  # lone low surrogate
    "x\udbff\udbffy",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e\u2066\u2069",
    "e\u0301\u0301\u0301\u0301\u0301",  # stacked combining marks
    "\u0e01\u0e49\u0e49\u0e49\u0e49\u0e49",
    "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359",
    "👨‍👩‍👧‍👦🇻🇳🏳️‍🌈",
    "\ufeffBOM",
    "line\u2028sep\u2029para",
    "\r\n\r\n",
    "\x01\x02\x1b[31m",
    "Tiếng Việt có dấu: Ông/Bà hài lòng",
    "فارسی: راضی هستید؟ ۱۲۳۴",
    "'; DROP TABLE surveys_response; --",
    "%s %(x)s {0} ${7*7}",
    "\\u0000",
    "null",
    "-0",
    "٤",  # an Arabic-Indic four
    "²",  # a superscript two: str.isdigit() says yes, int() says no
    "９９",  # full-width digits
    *XSS,
]

# A Random seeded by Hypothesis, for the small structural choices (see the docstring).
RND = st.randoms(use_true_random=True)


def encodes(text: str) -> bool:
    """False for text that cannot be UTF-8 (lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def repeated(chars: tuple[str, ...], lengths: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Long strings without making Hypothesis generate every character."""
    return st.builds(lambda c, n: c * n, st.sampled_from(chars), st.sampled_from(lengths))


@cache
def nasty_text(*, max_size: int = 80, huge: bool = True) -> st.SearchStrategy[str]:
    """Text of every kind, including what databases and templates choke on; `huge` adds
    strings around the limits (1000, 2000 characters) and far beyond."""
    kinds = [
        st.sampled_from(EDGES),
        st.text(max_size=max_size),
        st.text(st.characters(codec="utf-8"), max_size=max_size),
        st.builds(lambda a, b: a + b, st.sampled_from(EDGES), st.text(max_size=20)),
    ]
    if huge:
        kinds.append(
            repeated(("a", "é", "😀", "\u0301", "<", "\x00"), (999, 1000, 1001, 2000, 2001, 5000))
        )
    return st.one_of(*kinds)


@cache
def form_text(*, max_size: int = 60, huge: bool = True) -> st.SearchStrategy[str]:
    """Nasty text a browser can send in a form (UTF-8, so no lone surrogates)."""
    return nasty_text(max_size=max_size, huge=huge).filter(encodes)


@cache
def clean_text(*, max_size: int = 200) -> st.SearchStrategy[str]:
    """Text a person could type: any Unicode but NUL and lone surrogates, edge cases too."""
    alphabet = st.characters(codec="utf-8", exclude_characters="\x00")
    edges = [e for e in EDGES if "\x00" not in e and encodes(e)]
    return st.one_of(st.text(alphabet, max_size=max_size), st.sampled_from(edges))


@cache
def json_leaf() -> st.SearchStrategy:
    """A JSON scalar: wrong types for a field, numbers past every limit, nasty text."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]),
        st.floats(allow_nan=False, allow_infinity=False),
        nasty_text(max_size=30, huge=False),
    )


def nested(rnd, leaf, key: str = "k"):
    """The leaf as it is, or wrapped in lists and objects a few levels deep."""
    for _ in range(rnd.choice([0, 0, 0, 1, 2, 3])):
        leaf = rnd.choice([[leaf], {key: leaf}, [leaf, leaf], {key: [leaf], "": None}])
    return leaf
