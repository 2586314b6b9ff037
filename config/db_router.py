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
* Read your own writes: after a signed-in user's POST (or any other writing method) the
  response carries a short-lived cookie with the primary's WAL position at that moment.
  While the browser sends it, that user's report pages read from the primary until the
  replica has replayed up to that position (one small query on the replica per page),
  then from the replica again, and the cookie is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Literal, Self

from django.conf import settings
from django.db import DatabaseError, connections
from django.urls import Resolver404, resolve

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest, HttpResponseBase

PRIMARY = "default"
REPLICA = "replica"
PIN_COOKIE = "primary_lsn"
LSN_SHAPE = re.compile(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}")
REPLICA_APPS = frozenset({"offices", "surveys", "reports", "suggestions"})
READ_METHODS = frozenset({"GET", "HEAD"})

_report_request: ContextVar[bool] = ContextVar("report_request", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class reads_from_replica:  # noqa: N801 — a context manager named for what it does
    """Within this block, reads of report data go to the replica (when one is configured)."""

    _token: Token[bool]

    def __enter__(self) -> Self:
        self._token = _report_request.set(True)
        return self

    def __exit__(self, *exc_info: object) -> Literal[False]:
        _report_request.reset(self._token)
        return False


class ReportReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not (_report_request.get() and replica_configured()):
            return None
        if model._meta.app_label not in REPLICA_APPS:
            return None
        if connections["default"].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # The replica is a copy of the primary: objects from either may be related.
        return True

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        return db == "default"


def primary_lsn() -> str:
    """The primary's current WAL position ("16/B374D848"): every commit so far is before it."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def replica_has_replayed(lsn: str) -> bool:
    """Whether the replica has replayed the primary's WAL up to `lsn`. False when it cannot
    tell (unreachable); True when the "replica" is not a standby at all (then it is the
    primary, as when DATABASE_REPLICA_URL is pointed back at it)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, NOT pg_is_in_recovery())",
                [lsn],
            )
            return bool(cursor.fetchone()[0])
    except DatabaseError:
        return False


def pin_seconds() -> int:
    return int(getattr(settings, "DATABASE_REPLICA_PIN_SECONDS", 60))


class ReplicaForReportsMiddleware:
    """Runs GET/HEAD requests to report pages inside `reads_from_replica()`, unless the
    browser is pinned to the primary by a recent write of its own (module docstring).

    (A streamed export is read after the view returns, outside the block: it simply
    reads from the primary.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not replica_configured():
            return self.get_response(request)
        if request.method not in READ_METHODS:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                self._pin(response)
            return response
        if not self._is_report(request):
            return self.get_response(request)
        lsn = request.COOKIES.get(PIN_COOKIE, "")
        if LSN_SHAPE.fullmatch(lsn) and not replica_has_replayed(lsn):
            return self.get_response(request)  # pinned: the primary has this user's write
        with reads_from_replica():
            response = self.get_response(request)
        if PIN_COOKIE in request.COOKIES:
            response.delete_cookie(PIN_COOKIE)
        return response

    @staticmethod
    def _is_report(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return "reports" in match.namespaces

    @staticmethod
    def _pin(response: HttpResponseBase) -> None:
        try:
            lsn = primary_lsn()
        except DatabaseError:
            return
        response.set_cookie(
            PIN_COOKIE,
            lsn,
            max_age=pin_seconds(),
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
