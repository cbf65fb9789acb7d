"""Reads of a fixed shape compiled to SQL once, then run with new keys: the ORM's building and
compiling, most of a small query's CPU, paid once per process instead of at every request.

Measured on the send path (PostgreSQL, DEBUG off): a conversation fetched by its key and its
party costs ≈ 1.0 ms of CPU through the ORM, ≈ 0.6 ms of it to build and compile the QuerySet,
against ≈ 0.12 ms to run the same SQL through the cursor. Every message sent runs a few such
reads (docs/benchmarks.md, *Send path*).

A ``Prepared`` read is written as an ordinary QuerySet of its keys (``build``). The first call
builds it with stand-in keys, compiles it and remembers where each stand-in went among the
parameters; every call then runs that SQL with its own keys in their places, through the
connection's cursor (query logging and ``CaptureQueriesContext`` see it), and makes the model
instances as the ORM does: the columns converted by the backend's and the fields' converters,
annotations set as attributes. Same SQL, same rows, same objects. ``count`` asks the database how
many rows the same read finds (``SELECT COUNT(*)`` over it, its ordering left out), as
``QuerySet.count()`` does.

What it accepts, checked when compiled (``CannotPrepare`` otherwise): the keys are ints (primary
and foreign keys: the one kind of value a stand-in is still recognisable as once Django has
prepared it), each used at least once; the QuerySet selects one model's rows (no
``select_related``, no ``values()``, no extra columns); prefetching is the caller's. Reach for it
only where a profile shows the compiling: a read that every message or every request makes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.expressions import Expression
from django.db.models.query import ModelIterable

# Far below any key a sequence hands out, and one apart: each names its parameter.
_STAND_IN = -(2**52)
# What a 64-bit key column holds.
_KEY_MIN, _KEY_MAX = -(2**63), 2**63 - 1


class CannotPrepare(ValueError):
    """A QuerySet that a prepared read could not run the way the ORM does."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    alias: str  # the database it was compiled for
    sql: str
    # For each of the SQL's parameters: the name of the key that goes there, or None and the
    # constant the QuerySet put there itself.
    slots: tuple[tuple[str | None, Any], ...]
    model: type[Model]
    columns: tuple[Expression, ...]
    fields: slice  # the model's columns among them
    attnames: tuple[str, ...]
    annotations: tuple[tuple[str, int], ...]


class Prepared[M: Model]:
    """A read built by ``build(**keys)``, compiled once per database (see the module)."""

    def __init__(self, build: Callable[..., QuerySet[M]], *keys: str) -> None:
        self._build = build
        self._keys = keys
        # By database alias and whether it counts (``count``) or reads the rows (``all``).
        self._compiled: dict[tuple[str, bool], _Compiled] = {}
        self._model: type[M] | None = None

    def all(self, **keys: int) -> list[M]:
        if not self._in_range(keys):
            # No key of a table is out there (a URL's digits can be): the ORM's own answer (an
            # empty result where SQLite would refuse the value, for one).
            return list(self._build(**keys))
        compiled = self._compiled_for(counting=False)
        alias = compiled.alias
        connection = connections[alias]
        rows = self._run(compiled, keys)
        converters = _converters(compiled.columns, connection)
        model, attnames, fields = compiled.model, compiled.attnames, compiled.fields
        found: list[M] = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            instance = cast(M, model.from_db(alias, attnames, row[fields]))
            for name, position in compiled.annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    def first(self, **keys: int) -> M | None:
        """The first row found, or None: for a read by a unique key, the one it finds."""
        found = self.all(**keys)
        return found[0] if found else None

    def count(self, **keys: int) -> int:
        """How many rows ``all`` would find, counted by the database."""
        if not self._in_range(keys):
            return self._build(**keys).count()
        (counted,) = self._run(self._compiled_for(counting=True), keys)
        return counted[0]

    def _in_range(self, keys: dict[str, int]) -> bool:
        """Whether every key is an int that a 64-bit key column can hold (``TypeError`` for a
        key missing, unknown or not an int)."""
        if set(keys) != set(self._keys):
            raise TypeError(f"expected the keys {sorted(self._keys)}, got {sorted(keys)}")
        for name, value in keys.items():
            if type(value) is not int:
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        return all(_KEY_MIN <= value <= _KEY_MAX for value in keys.values())

    def _compiled_for(self, *, counting: bool) -> _Compiled:
        if self._model is not None:
            compiled = self._compiled.get((router.db_for_read(self._model), counting))
            if compiled is not None:
                return compiled
        return self._compile(counting=counting)

    @staticmethod
    def _run(compiled: _Compiled, keys: dict[str, int]) -> list[Any]:
        """The rows of the compiled SQL run with these keys."""
        params = [keys[name] if name else constant for name, constant in compiled.slots]
        with connections[compiled.alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchall()

    def _compile(self, *, counting: bool) -> _Compiled:
        stand_ins = {_STAND_IN - n: name for n, name in enumerate(self._keys)}
        queryset = self._build(**{name: value for value, name in stand_ins.items()})
        if not isinstance(queryset, QuerySet):
            raise CannotPrepare("build must return a QuerySet")
        if counting and not queryset.query.is_sliced:
            queryset = queryset.order_by()  # no count depends on the order
        alias = queryset.db
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        info = compiler.klass_info
        if (
            queryset._iterable_class is not ModelIterable
            or not info
            or info.get("related_klass_infos")
            or queryset._prefetch_related_lookups  # type: ignore[attr-defined]
        ):
            raise CannotPrepare("a prepared read selects one model's rows and nothing else")
        positions = info["select_fields"]
        fields = slice(positions[0], positions[-1] + 1)
        columns = tuple(column for column, _sql, _alias in compiler.select)
        annotations = tuple(compiler.annotation_col_map.items())
        if len(columns) != len(positions) + len(annotations) or compiler.has_extra_select:
            raise CannotPrepare("a prepared read selects its model's columns and annotations only")
        slots = []
        used = set()
        for param in params:
            name = stand_ins.get(param) if type(param) is int else None
            slots.append((name, None) if name else (None, param))
            if name:
                used.add(name)
        if used != set(self._keys):
            raise CannotPrepare(f"keys not used by the query: {sorted(set(self._keys) - used)}")
        compiled = _Compiled(
            alias=alias,
            # The compiler's own SQL, its values all parameters: nothing a caller wrote.
            sql=f"SELECT COUNT(*) FROM ({sql}) counted" if counting else sql,  # noqa: S608
            slots=tuple(slots),
            model=info["model"],
            columns=columns,
            fields=fields,
            attnames=tuple(column.target.attname for column in columns[fields]),
            annotations=annotations,
        )
        self._model = info["model"]
        self._compiled[alias, counting] = compiled
        return compiled


def _converters(columns: tuple[Expression, ...], connection) -> list[tuple[int, tuple]]:
    """The compiler's converters for these columns on this connection (``get_converters``)."""
    found = []
    for position, column in enumerate(columns):
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found.append((position, (functions, column)))
    return found
