"""Athena (Trino) SQL → DuckDB SQL: sqlglot plus fix-ups for the gaps that matter here.

sqlglot 30's ``athena → duckdb`` transpile is right for most functions. The rewrites
below fix the constructs where its output runs but returns something different from
Athena, and refuse (``QueryError``) the ones that cannot be emulated:

=============================== ================================================================
Athena construct                 DuckDB output (why)
=============================== ================================================================
``a / b``                        ``a // b`` — DuckDB's ``/`` is always fractional; ``//`` divides
                                 integers like Trino (truncating) and other numbers normally
``date_diff(unit, a, b)``        ``DATE_SUB(unit, a, b)`` — DuckDB's ``date_diff`` counts
                                 boundary crossings; ``date_sub`` counts whole elapsed units
``format(fmt, args…)``           ``PRINTF(fmt', args…)`` — DuckDB's ``format`` is fmt-style
                                 (``{}``); ``%s`` arguments are cast to VARCHAR, ``%n$``
                                 positions resolved; unsupported conversions raise
``cardinality(x)``               ``CARDINALITY(x)`` — sqlglot emits ``ARRAY_LENGTH``, which
                                 rejects maps
``json_extract_scalar(j, p)``    ``JSON_VALUE(j, p) ->> '$'`` — plain ``->>`` returns objects
                                 and arrays as text; Trino returns NULL for non-scalars
``regexp_extract(s, p[, g])``    ``REGEXP_EXTRACT_ALL(s, p[, g])[1]`` — DuckDB returns ``''``
                                 on no match; Trino returns NULL
``try_cast(v AS <int type>)``    guarded so a VARCHAR that is not ``[+-]digits`` gives NULL —
                                 DuckDB parses ``'1.5'`` as 2, Trino's ``Long.parseLong`` fails
``approx_percentile(x, w, p)``   QueryError — sqlglot silently drops the weight
``"$path"``                      tables of ``ride_sim_analytics`` are read from the
                                 ``ride_sim_analytics_paths`` views, which add ``"$path"``
``awsdatacatalog.db.t``          ``db.t`` (the local engine has no catalog of that name)
=============================== ================================================================

``from_iso8601_timestamp``, ``to_unixtime``, ``date_trunc``, ``count_if``, ``try_cast`` to
non-integer types, window functions and ``CAST(x AS DOUBLE)`` transpile correctly as is
(given a session time zone of UTC, which the local engine sets). Remaining known
differences are listed in ``docs/storage.md``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from sweeplib.errors import QueryError
from sweeplib.storage.schemas import ATHENA_DATABASE, DATASET_SPECS

__all__ = ["PATHS_SCHEMA", "PATH_COLUMN", "TableRewrite", "dataset_tables", "transpile_athena"]

PATH_COLUMN: Final = "$path"
PATHS_SCHEMA: Final = f"{ATHENA_DATABASE}_paths"
_CATALOG: Final = "awsdatacatalog"
_TABLES: Final = frozenset(spec.table_name for spec in DATASET_SPECS.values())
_INTEGER_TYPES: Final = frozenset(
    {exp.DType.TINYINT, exp.DType.SMALLINT, exp.DType.INT, exp.DType.BIGINT}
)
# Java's Long.parseLong / Integer.parseInt accept exactly this.
_JAVA_INTEGER_RE: Final = "[+-]?[0-9]+"
# Java Formatter: %[argument_index$][flags][width][.precision]conversion
_FORMAT_SPEC_RE: Final = re.compile(r"%(?:(\d+)\$)?([-#+ 0,(<]*)(\d+)?(\.\d+)?([a-zA-Z%])")
_FORMAT_CONVERSIONS: Final = frozenset("sSdoxXeEf%n")
_FORMAT_FLAGS: Final = frozenset("-#+ 0")

_E = TypeVar("_E", bound=exp.Expr)


#: Called for each reference to a dataset table in a query being transpiled, with the
#: ``Table`` node (its ``db`` is ``ride_sim_analytics`` or :data:`PATHS_SCHEMA`) and the run
#: id the reference is restricted to (see :func:`dataset_tables`); may edit the node.
TableRewrite = Callable[[exp.Table, "str | None"], None]


def transpile_athena(sql: str, *, tables: TableRewrite | None = None) -> str:
    """Translate one Athena (Trino) SQL statement into DuckDB SQL with the same results.

    Parameters
    ----------
    sql
        A single statement in Athena's dialect (a trailing ``;`` is fine).
    tables
        Called for each dataset table the statement reads (after the other rewrites):
        the local engine points a run-restricted reference at a view over that run's
        folder only.

    Returns
    -------
    str
        DuckDB SQL. Run it in a session whose ``TimeZone`` is ``UTC``, as Athena's is.

    Raises
    ------
    QueryError
        If the SQL does not parse, holds several statements, or uses a construct the
        local engine cannot reproduce faithfully (the message says which).
    """
    sql, long_lists = _set_aside_long_lists(sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except SqlglotError as error:
        raise QueryError(f"cannot parse Athena SQL: {error}") from error
    if len(statements) != 1:
        raise QueryError(f"expected exactly one SQL statement, got {len(statements)}")
    tree = statements[0]
    for rewrite in _REWRITES:
        tree = rewrite(tree)
    if tables is not None:
        for table, run_id in dataset_tables(tree):
            tables(table, run_id)
    try:
        duck_sql = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as error:
        raise QueryError(f"cannot translate to DuckDB: {error}") from error
    for placeholder, items in long_lists.items():
        marker = f"IN ({placeholder})"
        if marker not in duck_sql:
            raise QueryError(f"cannot translate to DuckDB: lost a literal list ({marker})")
        duck_sql = duck_sql.replace(marker, f"IN (SELECT UNNEST([{items}]))")
    return duck_sql


# -- helpers -------------------------------------------------------------------------------


def _replace_all(
    tree: exp.Expr, kind: type[_E], build: Callable[[_E], exp.Expr | None]
) -> exp.Expr:
    """Replace every ``kind`` node (innermost first) by ``build(node)`` unless it returns None."""
    for node in reversed(list(tree.find_all(kind))):
        new = build(node)
        if new is None or new is node:
            continue
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree


def _func(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


# -- rewrites --------------------------------------------------------------------------------


def _integer_division(tree: exp.Expr) -> exp.Expr:
    return _replace_all(
        tree, exp.Div, lambda node: exp.IntDiv(this=node.left, expression=node.right)
    )


def _date_diff(tree: exp.Expr) -> exp.Expr:
    def build(node: exp.DateDiff) -> exp.Expr:
        unit = node.text("unit")
        if not unit:
            raise QueryError("date_diff needs a unit literal, e.g. date_diff('second', a, b)")
        # Trino date_diff(unit, a, b) = b - a in whole units; exp.DateDiff(this=b, expression=a).
        return _func("DATE_SUB", exp.Literal.string(unit.upper()), node.expression, node.this)

    return _replace_all(tree, exp.DateDiff, build)


def _approx_percentile(tree: exp.Expr) -> exp.Expr:
    for node in tree.find_all(exp.ApproxQuantile):
        if node.args.get("weight") is not None or node.args.get("accuracy") is not None:
            raise QueryError(
                "approx_percentile with a weight (or accuracy) argument is not supported by "
                "the local DuckDB engine (it has no weighted quantile); "
                f"in: {node.sql(dialect='athena')}"
            )
    return tree


def _format(tree: exp.Expr) -> exp.Expr:
    def build(node: exp.Format) -> exp.Expr:
        template = node.this
        if not (isinstance(template, exp.Literal) and template.is_string):
            raise QueryError("format() needs a string literal as its format")
        fmt, args = _java_format_to_printf(template.name, node.expressions)
        return _func("PRINTF", exp.Literal.string(fmt), *args)

    return _replace_all(tree, exp.Format, build)


def _java_format_to_printf(fmt: str, args: Sequence[exp.Expr]) -> tuple[str, list[exp.Expr]]:
    """Translate a java.util.Formatter pattern to a printf pattern plus its argument list."""
    out: list[str] = []
    out_args: list[exp.Expr] = []
    position = 0
    next_ordinary = 0
    for match in _FORMAT_SPEC_RE.finditer(fmt):
        out.append(fmt[position : match.start()].replace("%", "%%"))
        position = match.end()
        index, flags, width, precision, conversion = match.groups()
        if conversion not in _FORMAT_CONVERSIONS or not set(flags) <= _FORMAT_FLAGS:
            raise QueryError(f"format(): specifier {match.group(0)!r} is not supported locally")
        if conversion in "%n":
            out.append("%%" if conversion == "%" else "\n")
            continue
        if index is not None:
            arg_number = int(index) - 1
        else:
            arg_number = next_ordinary
            next_ordinary += 1
        if not 0 <= arg_number < len(args):
            raise QueryError(f"format(): no argument for specifier {match.group(0)!r}")
        arg = args[arg_number].copy()
        if conversion in "sS":
            # Java's %s prints String.valueOf(arg) for any type ("null" for NULL).
            arg = exp.Coalesce(
                this=exp.cast(arg, exp.DType.VARCHAR), expressions=[exp.Literal.string("null")]
            )
            if conversion == "S":
                arg = exp.Upper(this=arg)
            conversion = "s"
        out.append(f"%{flags}{width or ''}{precision or ''}{conversion}")
        out_args.append(arg)
    if "%" in fmt[position:]:
        raise QueryError(f"format(): malformed specifier in {fmt!r}")
    out.append(fmt[position:])
    return "".join(out), out_args


def _cardinality(tree: exp.Expr) -> exp.Expr:
    return _replace_all(tree, exp.ArraySize, lambda node: _func("CARDINALITY", node.this))


def _json_extract_scalar(tree: exp.Expr) -> exp.Expr:
    for node in tree.find_all(exp.JSONExtractScalar):
        node.set("scalar_only", True)
    return tree


def _regexp_extract(tree: exp.Expr) -> exp.Expr:
    for node in tree.find_all(exp.RegexpExtract):
        node.set("null_if_no_match", True)
    return tree


def _try_cast_integer(tree: exp.Expr) -> exp.Expr:
    def build(node: exp.TryCast) -> exp.Expr | None:
        if node.to.this not in _INTEGER_TYPES:
            return None
        value = node.this
        not_java_integer = exp.and_(
            exp.EQ(this=_func("TYPEOF", value.copy()), expression=exp.Literal.string("VARCHAR")),
            exp.not_(
                _func(
                    "REGEXP_FULL_MATCH",
                    exp.cast(value.copy(), exp.DType.VARCHAR),
                    exp.Literal.string(_JAVA_INTEGER_RE),
                )
            ),
        )
        return exp.Case(ifs=[exp.If(this=not_java_integer, true=exp.null())], default=node.copy())

    return _replace_all(tree, exp.TryCast, build)


def _strip_catalog(tree: exp.Expr) -> exp.Expr:
    for table in tree.find_all(exp.Table):
        if table.catalog.lower() == _CATALOG:
            table.set("catalog", None)
    return tree


def _path_column(tree: exp.Expr) -> exp.Expr:
    uses_path = any(column.name == PATH_COLUMN for column in tree.find_all(exp.Column))
    if not uses_path:
        return tree
    cte_names = _cte_names(tree)
    for table in tree.find_all(exp.Table):
        if table.name not in _TABLES:
            continue
        db = table.db
        if db == ATHENA_DATABASE or (not db and table.name not in cte_names):
            table.set("db", exp.to_identifier(PATHS_SCHEMA))
    return tree


def _cte_names(tree: exp.Expr) -> set[str]:
    return {cte.alias_or_name for cte in tree.find_all(exp.CTE)}


def dataset_tables(tree: exp.Expr) -> list[tuple[exp.Table, str | None]]:
    """The references to dataset tables in ``tree``, each with the run it is restricted to.

    A reference is restricted to run ``R`` when the ``WHERE`` of the ``SELECT`` whose
    ``FROM``/``JOIN`` holds it has a top-level conjunct ``<alias>.<run column> = 'R'``
    (the run column is the dataset's run partition: ``run_id`` or ``run_id_partition``;
    the alias may be omitted when the ``SELECT`` reads one table). Reading only that
    run's rows for the reference gives the same result, since the ``WHERE`` still holds.
    """
    run_columns = {spec.table_name: spec.partition_columns[1] for spec in DATASET_SPECS.values()}
    ctes = _cte_names(tree)
    found: list[tuple[exp.Table, str | None]] = []
    for table in tree.find_all(exp.Table):
        column = run_columns.get(table.name)
        if column is None or table.db not in (ATHENA_DATABASE, PATHS_SCHEMA, ""):
            continue
        if not table.db and table.name in ctes:
            continue
        found.append((table, _run_restriction(table, column)))
    return found


def _run_restriction(table: exp.Table, column: str) -> str | None:
    select = table.find_ancestor(exp.Select)
    where = select.args.get("where") if select is not None else None
    if select is None or where is None:
        return None
    alias = table.alias_or_name
    sources = [t for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select]
    condition = where.this
    conjuncts = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    for conjunct in conjuncts:
        if not isinstance(conjunct, exp.EQ):
            continue
        for side, other in (
            (conjunct.this, conjunct.expression),
            (conjunct.expression, conjunct.this),
        ):
            if (
                isinstance(side, exp.Column)
                and side.name == column
                and (side.table == alias or (not side.table and len(sources) == 1))
                and isinstance(other, exp.Literal)
                and other.is_string
            ):
                return str(other.this)
    return None


#: Literal lists at least this long become ``IN (SELECT unnest([...]))`` for DuckDB.
LONG_IN_LIST: Final = 64

_LIST_ITEM: Final = r"(?:'(?:[^']|'')*'|[+-]?[0-9]+(?:\.[0-9]+)?)"
_SKIP_OR_LIST: Final = re.compile(
    r"(?P<skip>'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/|\"(?:[^\"]|\"\")*\")"
    rf"|(?P<list>\bIN\s*\(\s*{_LIST_ITEM}(?:\s*,\s*{_LIST_ITEM})*\s*\))",
    re.IGNORECASE | re.DOTALL,
)


def _set_aside_long_lists(sql: str) -> tuple[str, dict[str, str]]:
    """Replace each long literal ``IN (…)`` list by a one-literal placeholder.

    The result of :func:`_long_in_lists`, without making sqlglot parse, rewrite and
    print 10,000 literals (that took seconds per query, issue 11): the items are put
    back, as ``IN (SELECT UNNEST([…]))``, into the DuckDB text. String literals and
    comments are skipped, so nothing inside them is touched.
    """
    lists: dict[str, str] = {}
    token = secrets.token_hex(6)

    def aside(match: re.Match[str]) -> str:
        if match.group("list") is None:
            return match.group(0)
        items = re.findall(_LIST_ITEM, match.group("list")[match.group("list").index("(") + 1 :])
        if len(items) < LONG_IN_LIST:
            return match.group(0)
        placeholder = f"'sweeplib-in-list-{token}-{len(lists)}'"
        lists[placeholder] = ", ".join(items)
        return f"IN ({placeholder})"

    return _SKIP_OR_LIST.sub(aside, sql), lists


def _long_in_lists(tree: exp.Expr) -> exp.Expr:
    """``x IN ('0', '1', …)`` with many literals → ``x IN (SELECT unnest(['0', '1', …]))``.

    Same rows; DuckDB evaluates the subquery form as a hash semi-join, while a long literal
    list on a Hive partition column costs it time that grows faster than the list (issue
    11: 10,000 points took minutes). Athena needs the literal form (partition projection,
    ADR 0006), so only the DuckDB side is rewritten.
    """

    def build(node: exp.In) -> exp.Expr | None:
        items = node.expressions
        if len(items) < LONG_IN_LIST or not all(isinstance(i, exp.Literal) for i in items):
            return None
        values = exp.Array(expressions=[item.copy() for item in items])
        query = exp.select(exp.Unnest(expressions=[values]))
        return exp.In(this=node.this.copy(), query=exp.Subquery(this=query))

    return _replace_all(tree, exp.In, build)


_REWRITES: Final[tuple[Callable[[exp.Expr], exp.Expr], ...]] = (
    _long_in_lists,
    _approx_percentile,
    _strip_catalog,
    _path_column,
    _integer_division,
    _date_diff,
    _format,
    _cardinality,
    _json_extract_scalar,
    _regexp_extract,
    _try_cast_integer,
)
