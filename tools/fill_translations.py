"""Fill msgstr entries of the gettext catalogues from a JSON file, then compile.

    python tools/fill_translations.py translations.json

The JSON maps each English msgid to its translations:
    {"Log in": {"vi": "Đăng nhập", "fa": "ورود"}, ...}
For plural entries give a list: {"%(n)s rating": {"vi": ["%(n)s lượt"], "fa": [...]}}.
Only entries present in the catalogue are filled (run `make messages` first); an
existing translation is replaced. Fuzzy flags on filled entries are cleared.
"""

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PLURAL_FORMS = {"vi": "nplurals=1; plural=0;", "fa": "nplurals=2; plural=(n > 1);"}


def fill(json_path: Path) -> None:
    wanted = json.loads(json_path.read_text(encoding="utf-8"))
    for language in ("vi", "fa"):
        po_path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
        catalogue = polib.pofile(str(po_path))
        catalogue.metadata["Plural-Forms"] = PLURAL_FORMS[language]
        catalogue.metadata["Language"] = language
        filled = 0
        for entry in catalogue:
            translation = wanted.get(entry.msgid, {}).get(language)
            if translation is None:
                continue
            if entry.msgid_plural:
                forms = translation if isinstance(translation, list) else [translation]
                plural_count = int(
                    catalogue.metadata.get("Plural-Forms", "nplurals=2").split("nplurals=")[1][0]
                )
                entry.msgstr_plural = {
                    i: forms[min(i, len(forms) - 1)] for i in range(plural_count)
                }
            else:
                entry.msgstr = translation
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
        catalogue.save(str(po_path))
        missing = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
        print(f"{language}: filled {filled}; still untranslated: {len(missing)}")
        for msgid in missing[:50]:
            print("   ", repr(msgid))
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "compilemessages",
            "--ignore",
            ".venv/*",
            "--ignore",
            "bench/*",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    fill(Path(sys.argv[1]))
