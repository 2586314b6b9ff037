"""Shortcuts in how the suite handles its PostgreSQL test databases; nothing a test sees
changes (tests/conftest.py installs them).

**Emptying the tables after a transactional test.** Django's `flush` (which pytest-django
runs after every `transaction=True` and live-server test) TRUNCATEs every table; on ~70
nearly empty tables that costs ~0.3 s a test, where deleting the rows costs ~15 ms. Here
each non-empty table is emptied with DELETE, in one statement, except

* a table a trigger guards against DELETE (the append-only audit log, the immutable seen
  stamps: found in pg_trigger, so a new one is covered too), and
* a table holding many rows (DELETE would queue a foreign-key check per row),

which are TRUNCATEd, as before. Every foreign key Django makes is DEFERRABLE INITIALLY
DEFERRED, so the order of the DELETEs does not matter within the one transaction. A
flush that resets sequences or cascades (a test's `reset_sequences` or `available_apps`)
keeps Django's own statements.

**What post_migrate writes, kept when untouched.** After Django's flush, the post_migrate
signal writes back the content types, the permissions and the job schedules: ~160
queries, ~100 ms a test here, where the whole flush is 5 queries, ~12 ms, without it. A
fingerprint of those three tables (an md5 of their rows) is taken once the test database
is ready; a flush that finds them as they were leaves them alone and skips the signal,
since it would write back the same rows. One a test changed (an admin's new schedule
time, a deleted permission) is emptied and the signal runs, as before; what it writes is
then the state the next flush compares with.

**Creating the test database.** Running every migration costs ~15 s per xdist worker
on this machine. The first run migrates as usual and keeps a copy of the result, a
template database named after a hash of every installed app's migration files
(`test_<name>_tpl_<hash>`, beside the test database, on the same server); later runs
clone it (`CREATE DATABASE … TEMPLATE …`, ~1 s) and then send post_migrate as `migrate`
would, so what post_migrate writes (content types, permissions, schedules) is as
current as after a real migrate. A changed, added or removed migration changes the hash:
the next run migrates again and drops the older templates. `--reuse-db` and
`--no-migrations` runs do as before, and so would a run where an app's tables did not all
come from its migration files.

**A migrated database elsewhere.** The fault run (tests/reliability) needs a freshly
migrated database on a PostgreSQL server of its own; `dump_template` hands it the
template instead, to restore in ~1 s.

**Dropping it at the end.** `DROP DATABASE … WITH (FORCE)`: an idle connection a test's
helper thread left open would otherwise make PostgreSQL wait 5 s, then refuse (a warning
at the end of the run, and 5 s of it).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path

MANY_ROWS = 2000  # from this many rows on, TRUNCATE is the cheaper way to empty a table


def _flush_statement(quote_name, tables) -> str:
    names = ", ".join(f"'{quote_name(t)}'" for t in sorted(tables))
    return f"""
DO $flush$
DECLARE
    t text;
    n bigint;
    guarded regclass[];
    truncate_these text[] := '{{}}';
    delete_these text[] := '{{}}';
BEGIN
    SELECT coalesce(array_agg(DISTINCT tgrelid::regclass), '{{}}') INTO guarded
      FROM pg_trigger
     WHERE NOT tgisinternal AND tgtype & 8 = 8;  -- a user trigger ON DELETE
    FOREACH t IN ARRAY ARRAY[{names}]::text[] LOOP
        EXECUTE 'SELECT count(*) FROM (SELECT 1 FROM ' || t || ' LIMIT {MANY_ROWS}) s' INTO n;
        IF n >= {MANY_ROWS} OR (n > 0 AND t::regclass = ANY (guarded)) THEN
            truncate_these := truncate_these || t;
        ELSIF n > 0 THEN
            delete_these := delete_these || t;
        END IF;
    END LOOP;
    IF cardinality(truncate_these) > 0 THEN
        -- CASCADE reaches only tables that reference these, all of which are flushed too.
        EXECUTE 'TRUNCATE ' || array_to_string(truncate_these, ', ') || ' CASCADE';
    END IF;
    FOREACH t IN ARRAY delete_these LOOP
        EXECUTE 'DELETE FROM ' || t;
    END LOOP;
END
$flush$
"""  # noqa: S608 (the names are Django's own tables, quoted)


def post_migrate_tables() -> list[str]:
    """The tables the post_migrate signal fills: content types, permissions, schedules."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django_q.models import Schedule

    return [model._meta.db_table for model in (ContentType, Permission, Schedule)]


def post_migrate_fingerprint(connection) -> str:
    """An md5 of every row of the post_migrate tables, in id order."""
    quote = connection.ops.quote_name
    digest = "(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM {} t)"
    parts = ", ".join(digest.format(quote(name)) for name in post_migrate_tables())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT concat_ws('|', {parts})")
        return cursor.fetchone()[0]


# Per database alias: the fingerprint of the post_migrate tables as the test database
# was handed to the tests, and whether the flush being run left them as they were.
_fingerprints: dict[str, str] = {}
_kept_by_flush: dict[str, bool] = {}


def _install_delete_flush() -> None:
    from django.core.management.commands import flush as flush_command
    from django.db import connections
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        alias = self.connection.alias
        _kept_by_flush[alias] = False
        if not tables or reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        kept = post_migrate_tables()
        expected = _fingerprints.get(alias)
        if (
            expected is not None
            and set(kept) <= set(tables)
            and post_migrate_fingerprint(self.connection) == expected
        ):
            _kept_by_flush[alias] = True
            tables = [t for t in tables if t not in kept]
        return [_flush_statement(self.quote_name, tables)]

    emit_post_migrate_signal = flush_command.emit_post_migrate_signal

    def emit_unless_kept(verbosity, interactive, db, **kwargs):
        if not _kept_by_flush.pop(db, False):
            emit_post_migrate_signal(verbosity, interactive, db, **kwargs)
            if db in _fingerprints:  # what the signal wrote is the state to keep from now on
                _fingerprints[db] = post_migrate_fingerprint(connections[db])

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    flush_command.emit_post_migrate_signal = emit_unless_kept  # type: ignore[attr-defined]


def _install_fingerprint() -> None:
    """Take the post_migrate tables' fingerprint once the test database is ready."""
    from django.db.backends.postgresql.creation import DatabaseCreation

    create = DatabaseCreation.create_test_db

    def create_test_db(self, *args, **kwargs):
        name = create(self, *args, **kwargs)
        _fingerprints[self.connection.alias] = post_migrate_fingerprint(self.connection)
        return name

    DatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign]


def template_applies() -> bool:
    """The migration files decide the whole schema: no app's tables come from its models
    (run_syncdb, for an app without migrations) or from migrations elsewhere."""
    from django.apps import apps
    from django.conf import settings

    return not settings.MIGRATION_MODULES and all(
        (Path(config.path) / "migrations").is_dir()
        for config in apps.get_app_configs()
        if any(True for _model in config.get_models())
    )


def migrations_digest() -> str:
    """A hash of every installed app's migration files (names and contents) and Django's
    version: what the migrated database depends on."""
    import django
    from django.apps import apps

    digest = hashlib.sha256(django.__version__.encode())
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        folder = Path(config.path) / "migrations"
        for path in sorted(folder.rglob("*.py")):
            digest.update(f"{config.label}/{path.relative_to(folder)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def template_prefix(test_name: str) -> str:
    """`test_x_gw1` → `test_x_tpl_`: one template for every xdist worker of a run."""
    return re.sub(r"_gw\d+$", "", test_name) + "_tpl_"


def dump_template(connection, out_path: Path, pg_dump: str) -> bool:
    """Write this run's template database (see above) to `out_path` with `pg_dump -Fc`, for a
    test that needs a freshly migrated database on a server of its own (the fault run);
    restoring it costs ~1 s where `migrate` costs ~10 s. Holds the template's lock while it
    reads, so no worker is cloning the template meanwhile (a clone needs it unused).
    False when there is no template to dump (a `--reuse-db` run, say): migrate instead."""
    import os
    import subprocess

    template = template_prefix(connection.settings_dict["NAME"]) + migrations_digest()
    with connection._nodb_cursor() as guard:
        guard.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
        guard.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        if guard.fetchone() is None:
            return False
        params = connection.get_connection_params()
        env = dict(os.environ, PGPASSWORD=str(params.get("password") or ""))
        command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges"]
        command += ["--file", str(out_path), "--dbname", template]
        for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
            if params.get(key):
                command += [flag, str(params[key])]
        dumped = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        if dumped.returncode != 0:
            raise RuntimeError(f"pg_dump of {template} failed:\n{dumped.stderr[-3000:]}")
    return True


def embedded_program(program: str) -> str:
    """A program of the embedded server's PostgreSQL (pgserver's: pg_dump, pg_restore)."""
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / program)


def embedded_major_version() -> int:
    """The PostgreSQL major version of pgserver's binaries (`postgres --version`)."""
    import subprocess

    version = subprocess.run(
        [embedded_program("postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return int(version.split()[-1].split(".")[0])


def dump_for_embedded(connection, out_path: Path) -> bool:
    """`dump_template` for an embedded server of a test's own: only from a server of the same
    major version, since a dump carries what its server writes (the machine's PostgreSQL 15
    adds column options that PostgreSQL 16 refuses). False: migrate instead."""
    if connection.pg_version // 10000 != embedded_major_version():
        return False
    return dump_template(connection, out_path, embedded_program("pg_dump"))


def _install_template_clone() -> None:
    from django.core.management import call_command
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import DatabaseError
    from django.db.backends.postgresql.creation import DatabaseCreation

    migrate_fresh = DatabaseCreation.create_test_db

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        test_settings = self.connection.settings_dict["TEST"]
        if keepdb or test_settings.get("MIGRATE") is False or not template_applies():
            return migrate_fresh(self, verbosity, autoclobber, serialize, keepdb)
        name = self._get_test_db_name()
        prefix = template_prefix(name)
        template = prefix + migrations_digest()
        if len(template.encode()) > self.connection.ops.max_name_length():
            # PostgreSQL would cut the name short, and no later run would find it.
            return migrate_fresh(self, verbosity, autoclobber, serialize, keepdb)
        quote = self.connection.ops.quote_name
        # One worker builds a missing template while the others wait for it and clone it,
        # instead of every xdist worker running the migrations at once on the same cores.
        # The lock is the guard connection's: it goes when that connection closes.
        with self._nodb_cursor() as guard:
            guard.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
            guard.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            found = guard.fetchone() is not None
            if found:
                guard.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
                guard.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
            else:
                name = migrate_fresh(self, verbosity, autoclobber, serialize, keepdb)
                self.connection.close()  # a template must have no connection while copied
                # DatabaseError: a run that did not take the lock (an older fast_db) made it.
                with contextlib.suppress(DatabaseError):
                    guard.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(name)}")
                guard.execute(
                    "SELECT datname FROM pg_database WHERE starts_with(datname, %s) "
                    "AND datname <> %s",
                    [prefix, template],
                )
                for (stale,) in guard.fetchall():
                    # DatabaseError: in use by a run that started before; left for later.
                    with contextlib.suppress(DatabaseError):
                        guard.execute(f"DROP DATABASE {quote(stale)}")
        if not found:
            self.connection.ensure_connection()
            return name
        if verbosity >= 1:
            self.log(f"Cloned test database {name} from {template} (tests/fast_db.py).")
        self.connection.close()
        from django.conf import settings

        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        # What `migrate` does after its last migration, with nothing left to apply.
        emit_post_migrate_signal(max(verbosity - 1, 0), False, self.connection.alias)
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        call_command("createcachetable", database=self.connection.alias)
        self.connection.ensure_connection()
        return name

    DatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign]


def _install_forced_drop() -> None:
    from django.db.backends.postgresql.creation import DatabaseCreation

    def _destroy_test_db(self, test_database_name, verbosity):
        # An idle connection still open at the end (a test's helper thread) makes
        # PostgreSQL wait 5 s for it and then refuse; the database goes anyway (PG 13+).
        self.connection.close_pool()
        quoted = self.connection.ops.quote_name(test_database_name)
        with self._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE {quoted} WITH (FORCE)")

    DatabaseCreation._destroy_test_db = _destroy_test_db  # type: ignore[method-assign]


def install() -> None:
    _install_delete_flush()
    _install_template_clone()
    _install_fingerprint()  # after the clone: it wraps whichever way the database was made
    _install_forced_drop()
