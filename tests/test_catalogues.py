"""Every message of the Vietnamese and Persian catalogues is translated and none is fuzzy:
gettext ignores a fuzzy entry, so its page would show English to a Vietnamese citizen."""

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def entries(po: Path) -> list[str]:
    """The catalogue's live entries (obsolete `#~` ones and the header left out)."""
    blocks = re.split(r"\n\s*\n", po.read_text(encoding="utf-8"))
    live = [b for b in blocks if re.search(r"^msgid ", b, re.M)]
    return [b for b in live if not re.search(r'^msgid ""\nmsgstr ""\n"Project-Id', b, re.M)]


def untranslated(block: str) -> bool:
    strings = re.findall(r'^msgstr(?:\[\d+\])? ((?:".*"\n?)+)', block + "\n", re.M)
    return not strings or any(not "".join(re.findall(r'"(.*)"', s)) for s in strings)


@pytest.mark.parametrize("language", ["vi", "fa"])
def test_the_catalogue_has_no_fuzzy_or_empty_translation(language):
    blocks = entries(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(blocks) > 500  # the whole catalogue was read
    fuzzy = [b for b in blocks if re.search(r"^#,.*\bfuzzy\b", b, re.M)]
    empty = [b for b in blocks if untranslated(b)]
    assert not fuzzy, "fuzzy entries (shown in English):\n" + "\n\n".join(fuzzy[:5])
    assert not empty, "untranslated entries:\n" + "\n\n".join(empty[:5])
