"""The whole demo in one process: the six load_demo* commands in order (what `make demo` and
`make run` do), so Django starts once instead of six times. Lives in reports, the one app
that may reach all the others; it calls them by name and imports none."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

# Each command keeps its own transactions, checks and message; run alone, it does the same.
STEPS = [
    "load_demo",
    "load_demo_surveys",
    "load_demo_ratings",
    "load_demo_suggestions",
    "load_demo_inspections",
    "load_demo_reform",
]
RATINGS_OPTIONS = ("months", "volume", "seed")


class Command(BaseCommand):
    help = (
        "Load the whole demo (units and offices, surveys, ratings, suggestions, inspections, "
        "the PAR INDEX) in one process. Idempotent. With --base-url, then print the demo's "
        "addresses, logins and a kiosk enrolment link (what `make run` shows)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Passed on to load_demo_ratings, whose defaults apply when they are not given.
        parser.add_argument("--months", type=int, help="Months of demo ratings (13).")
        parser.add_argument("--volume", type=float, help="Scale the number of ratings (1.0).")
        parser.add_argument("--seed", type=int, help="Seed of the demo ratings (2025).")
        parser.add_argument(
            "--base-url", help="Where the server runs: print the addresses and enrolment link."
        )

    def handle(self, *args: Any, base_url: str | None, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        ratings = {k: options[k] for k in RATINGS_OPTIONS if options[k] is not None}
        step_options: dict[str, dict] = {
            "load_demo_surveys": {"no_link": True},
            "load_demo_ratings": ratings,
        }
        output = {
            "stdout": self.stdout,
            "stderr": self.stderr,
            "no_color": options["no_color"],
            "force_color": options["force_color"],
        }
        for name in STEPS:
            call_command(name, **output, **step_options.get(name, {}))
        if base_url is not None:
            call_command("demo_info", base_url=base_url, **output)
            call_command("load_demo_surveys", link_only=True, base_url=base_url, **output)
