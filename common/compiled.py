"""Queries compiled once per process, their parameters bound at each call.

Building and compiling a QuerySet (resolving joins, subqueries and expressions into SQL)
costs about a millisecond of Python for a query with a few `Exists` and a `RawSQL`; on a
path that runs the same query hundreds of times a second (a kiosk rating) that is a
large part of the request. Here Django's own compiler still writes the SQL, once: a
`CompiledSelect` compiles its QuerySet with marker values in place of the call's values
and remembers where each marker landed among the parameters; `insert_sql` and
`update_sql` remember the statement text Django wrote for a shape of rows and bind the
values Django's own field preparation gives. Each checks, when it compiles, that the
shape it remembers is what Django wrote, and otherwise compiles at every call.

`CompiledSelect(prepare=...)` also makes the query a server-side prepared statement on
each connection, so PostgreSQL plans it once per connection, not at every call. Where
the database's settings say a pooler may hand each transaction another server
connection (`DISABLE_SERVER_SIDE_CURSORS`, set behind PgBouncer in transaction mode),
this process cannot know which statements the server connection has: the same round
trip then asks the server (a DO block that PREPAREs only where the statement is
missing) before the EXECUTE, and the statement's name carries a digest of its text, so
a server connection that outlived a deploy never runs an older text under the name.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper
    from django.db.models import Field
    from psycopg2.extensions import cursor as PgCursor

    # What a compiled query binds: ints and aware datetimes, or None (part of the plan key).
    Value = int | datetime | None

_PLACEHOLDER = re.compile(r"%%|%s")
# Markers: no primary key or count of ours is negative, and every integer column holds
# these (Django turns a lookup of a value out of a column's range into no query at all).
_MARKER_BASE = -2_000_000_000
_MARKER_EPOCH = datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC)


def _marker(kind: type, index: int) -> int | datetime:
    if kind is int:
        return _MARKER_BASE - index
    if kind is datetime:
        return _MARKER_EPOCH + timedelta(microseconds=index + 1)
    raise TypeError(f"CompiledSelect binds int and datetime values, not {kind.__name__}")


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class _Plan:
    name: str  # of its prepared statement
    sql: str
    slots: tuple[tuple[str | None, Any], ...]  # (value name, or None and a constant)
    prepared_sql: str  # the PREPARE body: $n for the values, constants inlined
    pooled_sql: str | None  # behind a pooler: prepare-where-missing, then EXECUTE
    names: tuple[str, ...]  # the values in $n order
    model: type[Model]
    start: int
    end: int
    init_list: tuple[str, ...]
    populators: tuple
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple, Any], ...]

    def params(self, values: dict) -> tuple:
        return tuple(values[name] if name is not None else const for name, const in self.slots)


class CompiledSelect:
    """The model instances of a QuerySet that `build(**values)` returns, compiled once
    for each set of values given as None (a None may change the SQL itself, so the
    plan is keyed by which values are None). Values are bound as they are given: ints
    and aware datetimes, as the fields' own preparation would give them."""

    def __init__(self, build: Callable[..., QuerySet], *, prepare: str = "") -> None:
        self.build = build
        self.prepare = prepare  # the prepared statements' name prefix; "" never prepares
        self._plans: dict[tuple, _Plan] = {}
        self._lock = threading.Lock()

    def models(self, using: str = DEFAULT_DB_ALIAS, **values: Value) -> list[Any]:
        key = tuple(sorted((name, value is None) for name, value in values.items()))
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key) or self._compile(key, values, using)
                self._plans[key] = plan
        connection = connections[using]
        pooled = connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        with connection.cursor() as cursor:
            if self.prepare and not pooled:
                _execute_prepared(connection, cursor, plan, values)
            elif self.prepare and plan.pooled_sql is not None:
                cursor.execute(plan.pooled_sql, tuple(values[n] for n in plan.names))
            else:
                cursor.execute(plan.sql, plan.params(values))
            rows = cursor.fetchall()
        return [self._instance(plan, row, connection) for row in rows]

    def _compile(self, key: tuple, values: dict, using: str) -> _Plan:
        markers = {
            name: _marker(type(value), index)
            for index, (name, value) in enumerate(values.items())
            if value is not None
        }
        queryset = self.build(**{name: markers.get(name) for name in values})
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = []
        for param in params:
            name = next((n for n, m in markers.items() if _same(param, m)), None)
            slots.append((name, None if name else param))
        missing = set(markers) - {name for name, _ in slots}
        if missing:
            raise ValueError(f"values not found among the query's parameters: {missing}")
        names = tuple(dict.fromkeys(name for name, _ in slots if name))
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        prepared_sql = _numbered(sql, slots, names, connections[using])
        return _Plan(
            name=f"{self.prepare}_{len(self._plans)}",
            sql=sql,
            slots=tuple(slots),
            prepared_sql=prepared_sql,
            pooled_sql=_pooled(self.prepare, prepared_sql, len(names)) if self.prepare else None,
            names=names,
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            populators=tuple(get_related_populators(klass_info, select, using)),  # type: ignore[call-arg]  # django-stubs describe Django 6
            annotations=tuple(compiler.annotation_col_map.items()),
            converters=tuple((pos, tuple(c), e) for pos, (c, e) in converters.items()),
        )

    @staticmethod
    def _instance(plan: _Plan, row: Any, connection: BaseDatabaseWrapper) -> Model:
        if plan.converters:
            row = list(row)
            for position, converters, expression in plan.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        obj = plan.model.from_db(connection.alias, plan.init_list, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, obj)
        for attr, position in plan.annotations:
            setattr(obj, attr, row[position])
        return obj


def _pooled(prefix: str, body: str, count: int) -> str | None:
    """One round trip for a server connection a pooler chose: PREPARE the statement if
    this server connection does not have it yet (pg_prepared_statements is its own
    list), then EXECUTE it with the call's values. None when the body holds one of the
    dollar-quote tags used here (it never does for Django's SQL): run it unprepared."""
    if "$prepare$" in body or "$compiled$" in body:
        return None
    name = f"{prefix}_{hashlib.sha256(body.encode()).hexdigest()[:16]}"
    return (
        "DO $compiled$BEGIN IF NOT EXISTS "
        f"(SELECT FROM pg_prepared_statements WHERE name = '{name}') THEN "
        f"EXECUTE $prepare$PREPARE {name} AS {body}$prepare$; END IF; END$compiled$;\n"
        f"{_execute_text(name, count)}"
    )


def _execute_text(name: str, count: int) -> str:
    """EXECUTE of the prepared statement `name` with `count` values bound by the driver."""
    return f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"


def _numbered(
    sql: str,
    slots: Iterable[tuple[str | None, Any]],
    names: tuple[str, ...],
    connection: BaseDatabaseWrapper,
) -> str:
    """`sql` with $n for the values and the constants inlined (a prepared statement's
    body), its % kept doubled: it is sent through the driver with the EXECUTE's values."""
    parts = iter(slots)
    with connection.cursor() as cursor:
        raw = cursor.cursor

        def replace(match: re.Match) -> str:
            if match.group() == "%%":
                return "%%"
            name, const = next(parts)
            if name is not None:
                return f"${names.index(name) + 1}"
            return raw.mogrify("%s", (const,)).decode().replace("%", "%%")

        return _PLACEHOLDER.sub(replace, sql)


def _execute_prepared(
    connection: BaseDatabaseWrapper, cursor: CursorWrapper, plan: _Plan, values: dict
) -> None:
    """EXECUTE the plan's prepared statement, PREPAREd in the same round trip the first
    time on this server connection. The names prepared are kept on Django's connection
    (one per thread) with the driver's connection they belong to; None when a failed
    call may have left one half-made: the next call then starts with DEALLOCATE ALL."""
    name, raw = plan.name, connection.connection
    held, names = getattr(connection, "_compiled_prepared", (None, set()))
    if held is not raw:  # a new server connection
        names = set()
    args = tuple(values[n] for n in plan.names)
    sql = execute = _execute_text(name, len(args))
    if names is None or name not in names:
        sql = f"PREPARE {name} AS {plan.prepared_sql};\n{execute}"
        if names is None:
            sql, names = f"DEALLOCATE ALL;\n{sql}", set()
    # Our own record on Django's connection object, which declares no such attribute.
    connection._compiled_prepared = (raw, None)  # type: ignore[attr-defined]  # until it has run
    cursor.execute(sql, args)
    connection._compiled_prepared = (raw, names | {name})  # type: ignore[attr-defined]


# --- INSERT and UPDATE texts ------------------------------------------------------------

_INSERTS: dict[tuple, tuple[str, str] | None] = {}
_UPDATES: dict[tuple, str | None] = {}


def insert_sql(raw_cursor: PgCursor, model: type[Model], fields: list, objs: list[Model]) -> str:
    """The INSERT Django's compiler writes for `objs` into `fields`, bound with the
    driver's cursor `raw_cursor` (mogrify); its text compiled once per model, fields and
    number of rows (any number, for PostgreSQL's many-row INSERT of one array per column)."""
    connection = connections[DEFAULT_DB_ALIAS]
    rows = [
        [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
        for obj in objs
    ]
    names = (model, tuple(f.attname for f in fields))
    expression = any(hasattr(v, "resolve_expression") for row in rows for v in row)
    known = None
    if not expression:  # an expression to save: Django writes it, each time
        known = _INSERTS.get((*names, len(objs)))
        if known is None and len(objs) > 1:
            known = _INSERTS.get((*names, "many"))
    if known is None:
        statements = _compile_insert(model, fields, objs, connection)
        sql, params = statements[0]
        form = _form(params, len(fields), len(objs)) if len(statements) == 1 else ""
        if form and not expression:
            _INSERTS[(*names, "many" if form == "columns" else len(objs))] = (sql, form)
        # This once, Django's own values (a pre_save such as auto_now ran again).
        return ";\n".join(raw_cursor.mogrify(s, p).decode() for s, p in statements)
    text, form = known
    values = (
        [v for row in rows for v in row]
        if form == "rows"
        else [list(c) for c in zip(*rows, strict=True)]
    )
    return raw_cursor.mogrify(text, values).decode()


def _compile_insert(
    model: type[Model],
    fields: list[Field[Any, Any]],
    objs: list[Model],
    connection: BaseDatabaseWrapper,
) -> list[tuple[str, tuple]]:
    from django.db.models.sql import InsertQuery

    query = InsertQuery(model)
    query.insert_values(fields, objs)
    return query.get_compiler(connection=connection).as_sql()


def _form(params: Sequence[Any], width: int, height: int) -> str:
    """How Django laid out the values: row after row, one array per column, or neither
    (then the text is not remembered)."""
    if len(params) == width * height and not any(isinstance(p, list) for p in params):
        return "rows"
    if len(params) == width and all(isinstance(p, list) and len(p) == height for p in params):
        return "columns"
    return ""


def update_sql(raw_cursor: PgCursor, model: type[Model], pk: object, values: dict) -> str:
    """An `UPDATE … SET values WHERE pk = …` as Django's compiler writes it, bound with
    mogrify (to send with other statements); its text compiled once per model and set
    of fields."""
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields: list[Any] = [meta.get_field(name) for name in values]
    params = [
        f.get_db_prep_save(value, connection=connection)
        for f, value in zip(fields, values.values(), strict=True)
    ]
    params.append(meta.pk.get_db_prep_value(pk, connection))
    key: tuple = (model, tuple(values))
    if any(hasattr(v, "resolve_expression") or isinstance(v, Model) for v in values.values()):
        key = ()  # an expression or an object: Django prepares it, each time
    sql = _UPDATES.get(key) if key else None
    if sql is None:
        from django.db.models import Q
        from django.db.models.sql import UpdateQuery

        query = UpdateQuery(model)
        query.add_update_values(values)
        query.add_q(Q(pk=pk))
        sql, compiled = query.get_compiler(connection=connection).as_sql()
        if key:
            _UPDATES[key] = sql if list(compiled) == params else None
        if list(compiled) != params:
            return raw_cursor.mogrify(sql, compiled).decode()
    return raw_cursor.mogrify(sql, params).decode()
