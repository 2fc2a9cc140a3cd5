"""Read queries written with the ORM, compiled to SQL once per database
connection and then run with new parameters.

Django turns a queryset into SQL afresh every time it is evaluated. For the
small lookups of the pages people open every day (one hat, its tasks, its
wearers) that compilation costs 10-15 times the database's own work: measured
on the benchmark machine, 0.5-0.9 ms of CPU per query against 0.05 ms to send
the same SQL through a cursor. `Prepared` keeps the ORM as the one place a
query is written (columns, joins, ordering, converters and model instances all
come from Django) and pays for the compilation once.

    hat_kpis = Prepared(lambda hat_id: KPI.objects.filter(hat_id=hat_id))
    hat_kpis(hat.id)  # -> [KPI, ...], exactly what list(queryset) would give

Parameters are ids (integers) or, when `build` annotates them `str`, exact
strings such as a slug; every other value in the query is fixed when it is
first compiled. A query whose shape depends on its parameters (an IN list of
varying length, a condition that depends on a value) cannot be prepared:
write it as a plain queryset.
"""

import copy
import inspect
import itertools
import re

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

# Stand-ins for the parameters while compiling. Django refuses a value outside
# a field's range before it reaches SQL, so there are families for the widest
# and the narrowest integer fields; a query is compiled with every family its
# fields accept (at least two), and a parameter is where each of them finds
# its own stand-in, so a fixed value that happens to equal one family's
# stand-in is never taken for a parameter. No slug holds U+FFFF.
INT_FAMILIES = (-(2**62), 2**62, 2_000_000_000, 30_000)


def sentinel(i, kind, base):
    return base + i if kind is int else f"\uffffprepared-{base}-{i}\uffff"


class NotPreparable(Exception):
    """The query does not carry every parameter as a plain SQL parameter."""


def _compile(queryset, connection, sentinels):
    """(compiler, sql, params, slots) of `queryset` built with `sentinels`:
    slots[i] is the parameter index seen at SQL parameter i, or None."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    slots = tuple(
        sentinels.index(value) if type(value) in (int, str) and value in sentinels else None
        for value in params
    )
    return compiler, sql, tuple(params), slots


class _Compiled:
    """One prepared query on one database connection."""

    def __init__(self, build, kinds, connection, using, name):
        compiled = []
        for base in INT_FAMILIES:
            sentinels = [sentinel(i, kind, base) for i, kind in enumerate(kinds)]
            queryset = build(*sentinels).using(using)
            try:
                found = _compile(queryset, connection, sentinels)
            except EmptyResultSet:
                continue  # out of some field's range: try the next family
            # Out of range inside a subquery, a stand-in is folded away instead.
            if set(range(len(kinds))) <= set(found[3]):
                compiled.append((queryset, *found))
        # A parameter is where every family sees its own stand-in; a fixed
        # value can equal one family's stand-in, never two families'.
        if len(compiled) < 2 or len({c[2] for c in compiled}) > 1:
            raise NotPreparable(f"cannot prepare {build!r}")
        queryset, compiler, sql, params, _slots = compiled[0]
        slots, fixed = [], []
        for i in range(len(params)):
            seen = {c[4][i] for c in compiled}
            slot = seen.pop() if len(seen) == 1 else None
            slots.append(slot)
            values = [c[3][i] for c in compiled if c[4][i] is None]
            # A fixed value must be the same in every family: one that
            # differs was made from a parameter (say `hat_id + 1`).
            if slot is None and (not values or len(set(map(repr, values))) > 1):
                raise NotPreparable(f"cannot prepare {build!r}")
            fixed.append(values[0] if slot is None else None)
        if set(range(len(kinds))) - set(slots):
            raise NotPreparable(f"a parameter of {build!r} is not an SQL parameter")
        self.sql, self.fixed, self.slots = sql, tuple(fixed), tuple(slots)
        self.compiler = compiler
        self.queryset = queryset
        self.connection = connection
        # On PostgreSQL over a kept connection, also a server-side prepared
        # statement: the planner's work is done once per connection instead of
        # per request (for the joins of these pages, 0.3-1 ms against 0.1-0.2 ms
        # to run them). A connection closed after every request would prepare
        # every time, so not then.
        self.server = connection.vendor == "postgresql" and (
            connection.settings_dict.get("CONN_MAX_AGE") != 0
        )
        if self.server:
            numbered, count = _numbered(sql)
            self.prepare_sql = f"PREPARE {name} AS {numbered}"
            self.sql = f"EXECUTE {name}" + (f"({', '.join(['%s'] * count)})" if count else "")

    def prepare_on_server(self):
        """PREPARE the statement once per database session. Like Django's own
        session set-up it goes through the raw connection, so it is not counted
        among a page's queries (nor seen by execute_wrapper); a prepared
        statement outlives a rolled-back transaction, and a new connection
        starts without any. A connection that died is replaced first, and an
        error is Django's (so the connection is dropped when unusable)."""
        connection = self.connection
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        raw = connection.connection
        prepared = connection.__dict__.get("_hatta_statements")
        if prepared is None or prepared[0] is not raw:
            prepared = connection.__dict__["_hatta_statements"] = (raw, set())
        if self.prepare_sql not in prepared[1]:
            with connection.wrap_database_errors, raw.cursor() as cursor:
                cursor.execute(self.prepare_sql)
            prepared[1].add(self.prepare_sql)

    def run(self, args):
        sql = self.sql
        params = tuple(
            self.fixed[i] if slot is None else args[slot] for i, slot in enumerate(self.slots)
        )
        if self.server:
            self.prepare_on_server()
        compiled = self.compiler

        def get_compiler(using=None, connection=None, elide_empty=True):
            # A copy of the compiled compiler, answering with the stored SQL
            # and this call's parameters (nothing shared between calls, even
            # on a connection shared between threads).
            compiler = copy.copy(compiled)
            compiler.as_sql = lambda *args, **kwargs: (sql, params)
            return compiler

        # Shallow copies by hand: copy.copy() of a QuerySet would evaluate it.
        template = self.queryset
        queryset = template.__class__.__new__(template.__class__)
        queryset.__dict__.update(template.__dict__)
        queryset._query = copy.copy(template._query)
        queryset._query.get_compiler = get_compiler
        try:
            return list(queryset._iterable_class(queryset))
        except DatabaseError as error:
            if self.server and getattr(error.__cause__, "pgcode", None) in STALE_STATEMENT:
                # The session lost the statement, or a migration changed the
                # columns it returns: start afresh on a new connection.
                self.connection.__dict__.pop("_hatta_statements", None)
                self.connection.close_at = 0
            raise


def _numbered(sql):
    """Django's %s placeholders as PostgreSQL's $1, $2, ... (and %% as %, since
    the PREPARE is sent without parameters); the number of placeholders."""
    count = 0

    def number(match):
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return re.sub(r"%%|%s", number, sql), count


_numbers = itertools.count(1)
# PostgreSQL's "prepared statement does not exist" and "cached plan must not
# change result type".
STALE_STATEMENT = {"26000", "0A000"}


class Prepared:
    """A queryset-building function, run as a prepared query. Calling it with
    the ids returns the list the queryset would: model instances (with their
    select_related objects), or tuples for values_list."""

    def __init__(self, build):
        self.build = build
        self.kinds = [
            str if p.annotation in (str, "str") else int
            for p in inspect.signature(build).parameters.values()
        ]
        number = next(_numbers)
        self.key = f"_hatta_prepared_{number}"
        self.name = f"hatta_{number}"  # the server-side statement

    def __call__(self, *args, using=DEFAULT_DB_ALIAS):
        if len(args) != len(self.kinds):
            raise TypeError(f"expected {len(self.kinds)} parameters, got {len(args)}")
        for arg, kind in zip(args, self.kinds, strict=True):
            # bool is an int to Python, not to a query.
            if type(arg) is not kind:
                raise TypeError(f"prepared query parameter {arg!r} is not {kind.__name__}")
        connection = connections[using]
        # Kept on the connection object (its database's SQL); not changed by a
        # run, so threads sharing a connection may share it.
        compiled = connection.__dict__.get(self.key)
        if compiled is None:
            compiled = _Compiled(self.build, self.kinds, connection, using, self.name)
            connection.__dict__[self.key] = compiled
        return compiled.run(args)
