from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from offices.demo import DEMO_PASSWORD, USERS


class Command(BaseCommand):
    help = "Print the demo's addresses and logins (used by `make run`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        base = base_url.rstrip("/")
        lines = [
            "",
            "The demo is ready:",
            f"  Home              {base}/",
            f"  Rate on a phone   {base}/r/",
            f"  Suggestion book   {base}/suggestions/new/   (track: {base}/suggestions/track/)",
            f"  Officials         {base}/accounts/login/",
            f"  Reports           {base}/reports/",
            f"  Administration    {base}/admin/",
            f"  Health check      {base}/healthz",
            "",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
        ]
        for username, _first, _last, unit_code, role, superuser in USERS:
            scope = "superuser, everything" if superuser else f"{role} at unit {unit_code}"
            lines.append(f"  {username:<18} {scope}")
        lines.append(f"  {'inspector_hanoi':<18} inspector over Hà Nội (inspections register)")
        self.stdout.write("\n".join(lines) + "\n")
