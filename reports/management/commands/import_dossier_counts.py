"""Import monthly "dossiers handled" figures from CSV (month,office,dossiers_handled).

All rows or none: a bad row prints every error with its line and writes nothing.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from offices.models import Office
from reports.dossiers import DossierImportError, read_dossier_rows, save_dossier_rows


class Command(BaseCommand):
    help = "Import dossiers handled per office and month from a CSV file. All rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_file")

    def handle(self, *args: Any, csv_file: str, **options: Any) -> None:
        try:
            # The site's language, whatever a previous caller left active in this thread.
            with (
                translation.override(settings.LANGUAGE_CODE),
                open(csv_file, encoding="utf-8-sig", newline="") as handle,
            ):
                rows = read_dossier_rows(handle, Office.objects.all())
        except OSError as exc:
            raise CommandError(f"Cannot read {csv_file}: {exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{csv_file} is not UTF-8 text.") from None
        except DossierImportError as exc:
            raise CommandError("Nothing imported.\n" + "\n".join(exc.errors)) from None
        count = save_dossier_rows(rows)
        self.stdout.write(self.style.SUCCESS(f"Imported {count} dossier figure(s)."))
