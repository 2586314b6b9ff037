"""The embedded PostgreSQL used by `make run` and `make test` when DATABASE_URL is unset.

pgserver ships PostgreSQL binaries inside its wheel, so a newcomer needs no
database installed. The data lives in `.pgdata/` (git-ignored) and the server
is left running between commands (cleanup_mode=None) so tests and the dev
server start fast; `make db-stop` stops it. Production settings refuse this.
"""

from pathlib import Path


def embedded_database(data_dir: Path) -> dict:
    """Start (or reuse) the embedded server and return a Django DATABASES entry."""
    import warnings
    from urllib.parse import parse_qs, urlsplit

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    # The URI names a Unix socket directory in its query string: ?host=/path
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": socket_dir,
    }
