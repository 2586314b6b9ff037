from tests.reports.conftest import questions, rate, version  # noqa: F401  (shared survey fixtures)
