from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from offices.importing import ImportError_, import_units, read_rows


class Command(BaseCommand):
    help = (
        "Create or update administrative units from a CSV file with the columns "
        "code, name, level, parent_code. All rows are written, or none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to the UTF-8 CSV file.")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                rows = read_rows(handle)
            created, updated, unchanged = import_units(rows)
        except FileNotFoundError:
            raise CommandError(_("No such file: %(file)s") % {"file": file}) from None
        except UnicodeDecodeError:
            message = _("%(file)s is not UTF-8 text. Nothing was imported.") % {"file": file}
            raise CommandError(message) from None
        except ImportError_ as exc:
            raise CommandError(" ".join([str(exc), _("Nothing was imported.")])) from None
        summary = _(
            "%(rows)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
        ) % {"rows": len(rows), "created": created, "updated": updated, "unchanged": unchanged}
        self.stdout.write(self.style.SUCCESS(summary))
