"""Search that forgives Vietnamese diacritics: "my dinh" finds "Mỹ Đình".

Citizens type office names on phones, often without tones or with another keyboard
layout. `fold()` is the Python side (for the query typed), `folded()` the SQL side (for the
column), built on PostgreSQL's own `translate()` so no extension is needed. Both lower the
case, drop the tone and vowel marks, and turn đ into d; letters written with combining
marks (decomposed text) fold the same way as precomposed ones.
"""

from __future__ import annotations

import unicodedata

from django.db.models import Func, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Lower

# Vietnamese's marks as combining characters: grave, acute, circumflex, tilde, breve,
# hook above, horn, dot below.
_COMBINING = "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323"
_BASES = "aeiouyAEIOUY"


def _precomposed() -> tuple[str, str]:
    """Every precomposed letter a Vietnamese name can hold, and the plain letter of each."""
    source, target = ["đĐ"], ["dd"]
    for base in _BASES:
        for first in ("", "\u0302", "\u0306", "\u031b"):
            for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"):
                letter = unicodedata.normalize("NFC", base + first + tone)
                if len(letter) == 1 and letter != base:
                    source.append(letter)
                    target.append(base.lower())
    # Plain capitals are lowered by SQL's lower(); only marked ones need a pair here.
    return "".join(source), "".join(target)


_FROM, _TO = _precomposed()


def fold(text: str) -> str:
    """`text` lowered, without marks, đ as d, NUL removed (PostgreSQL cannot hold it)."""
    text = text.replace("\x00", "").replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def folded(expression: str | Combinable) -> Lower:
    """SQL: the column folded like `fold()`. translate() deletes the characters of its
    source that have no counterpart in its target: the combining marks."""
    return Lower(Func(expression, Value(_FROM + _COMBINING), Value(_TO), function="translate"))
