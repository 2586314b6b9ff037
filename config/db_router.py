"""Send the reads of report pages to a read replica, everything else to the primary.

Off unless DATABASE_REPLICA_URL is set (config/settings.py then adds the "replica"
database, this router and the middleware). See docs/scaling.md.

* Only GET/HEAD requests under the reports URLs (namespace "reports") read from the
  replica, and only models of the apps whose data reports show (REPLICA_APPS). Sessions,
  users, lock-outs and the audit log always use the primary: a session written a moment
  ago may not have reached the replica yet.
* Every write goes to the primary, and so does every read inside a transaction on the
  primary (select_for_update, atomic blocks), so nothing is decided on stale data.
* A report page may be a little behind the primary (replication lag, usually well under
  a second on a local network); the roll-ups are monthly figures, so that is harmless.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.db import connections
from django.urls import Resolver404, resolve

REPLICA = "replica"
REPLICA_APPS = frozenset({"offices", "surveys", "reports", "suggestions"})
READ_METHODS = frozenset({"GET", "HEAD"})

_report_request: ContextVar[bool] = ContextVar("report_request", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class reads_from_replica:  # noqa: N801 — a context manager named for what it does
    """Within this block, reads of report data go to the replica (when one is configured)."""

    def __enter__(self):
        self._token = _report_request.set(True)
        return self

    def __exit__(self, *exc_info):
        _report_request.reset(self._token)
        return False


class ReportReplicaRouter:
    def db_for_read(self, model, **hints):
        if not (_report_request.get() and replica_configured()):
            return None
        if model._meta.app_label not in REPLICA_APPS:
            return None
        if connections["default"].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: objects from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaForReportsMiddleware:
    """Runs GET/HEAD requests to report pages inside `reads_from_replica()`.

    (A streamed export is read after the view returns, outside the block: it simply
    reads from the primary.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in READ_METHODS and replica_configured():
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and "reports" in match.namespaces:
                with reads_from_replica():
                    return self.get_response(request)
        return self.get_response(request)
