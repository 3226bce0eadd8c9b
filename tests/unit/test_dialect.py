"""Athena → DuckDB transpilation: one test per construct the project's SQL uses.

Each test runs the transpiled SQL in DuckDB (session time zone UTC, as Athena's) and
compares with the value Athena (Trino) returns; the Trino semantics are stated in the
test's docstring.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sweeplib.errors import QueryError
from sweeplib.query.dialect import LONG_IN_LIST, transpile_athena


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def athena(con, sql):
    """Rows of an Athena query, run through the transpiler on DuckDB."""
    return con.sql(transpile_athena(sql)).fetchall()


def athena_value(con, sql):
    rows = athena(con, sql)
    assert len(rows) == 1
    assert len(rows[0]) == 1
    return rows[0][0]


# -- arithmetic ------------------------------------------------------------------------------


def test_integer_division_truncates_like_trino(con):
    """Trino: bigint / bigint is integer division truncating toward zero (7/2 = 3,
    -7/2 = -3); a double operand gives a double (7e0/2 = 3.5)."""
    rows = athena(
        con,
        "SELECT 7 / 2, -7 / 2, CAST(7 AS DOUBLE) / 2, 7 / CAST(2 AS DOUBLE), "
        "CAST(completed AS DOUBLE) / total, completed / total "
        "FROM (VALUES (CAST(3 AS BIGINT), CAST(4 AS BIGINT))) AS t(completed, total)",
    )
    assert rows == [(3, -3, 3.5, 3.5, 0.75, 0)]


def test_cast_to_double(con):
    """Trino: CAST('2.5' AS DOUBLE) = 2.5; CAST(bigint AS DOUBLE) is exact for small ints."""
    assert athena(con, "SELECT CAST('2.5' AS DOUBLE), CAST(CAST(3 AS BIGINT) AS DOUBLE)") == [
        (2.5, 3.0)
    ]


# -- dates and times -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "start", "end", "expected"),
    [
        # 23:00 → 01:00 next day: 2 hours elapsed, 0 whole days (DuckDB date_diff says 1).
        ("day", "2026-02-14T23:00:00Z", "2026-02-15T01:00:00Z", 0),
        ("hour", "2026-02-14T08:45:00Z", "2026-02-14T10:30:00Z", 1),
        ("hour", "2026-02-14T10:30:00Z", "2026-02-14T08:45:00Z", -1),
        ("second", "2026-02-14T10:00:00.900Z", "2026-02-14T10:00:01.100Z", 0),
        ("second", "2026-02-14T10:00:03.100Z", "2026-02-14T10:00:00.900Z", -2),
        ("millisecond", "2026-02-14T10:00:00.250Z", "2026-02-14T10:00:01.000Z", 750),
        ("minute", "2026-02-14T10:00:59Z", "2026-02-14T10:01:00Z", 0),
        ("month", "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z", 1),
        ("month", "2026-01-15T00:00:00Z", "2026-02-14T00:00:00Z", 0),
        ("year", "2024-02-29T00:00:00Z", "2025-02-28T00:00:00Z", 1),
    ],
)
def test_date_diff_counts_whole_elapsed_units(con, unit, start, end, expected):
    """Trino: date_diff(unit, a, b) is the number of whole ``unit``s from a to b,
    truncated toward zero (Joda field difference; month/year end-of-month aware), not
    the number of boundaries crossed."""
    sql = (
        f"SELECT date_diff('{unit}', from_iso8601_timestamp('{start}'), "
        f"from_iso8601_timestamp('{end}'))"
    )
    assert athena_value(con, sql) == expected


def test_date_diff_transpiles_to_date_sub(con):
    assert "DATE_SUB('DAY', a, b)" in transpile_athena("SELECT date_diff('day', a, b) FROM t")


def test_from_iso8601_timestamp_parses_rfc3339(con):
    """Trino: from_iso8601_timestamp accepts 'Z', fractional seconds and offsets and
    returns the instant (timestamp with time zone)."""
    utc = dt.UTC
    rows = athena(
        con,
        "SELECT from_iso8601_timestamp('2026-02-14T10:00:00Z'), "
        "from_iso8601_timestamp('2026-02-14T10:00:00.123Z'), "
        "from_iso8601_timestamp('2026-02-14T12:00:00+02:00')",
    )
    values = rows[0]
    assert [v.astimezone(utc) for v in values] == [
        dt.datetime(2026, 2, 14, 10, 0, tzinfo=utc),
        dt.datetime(2026, 2, 14, 10, 0, 0, 123000, tzinfo=utc),
        dt.datetime(2026, 2, 14, 10, 0, tzinfo=utc),
    ]


def test_to_unixtime_returns_fractional_seconds(con):
    """Trino: to_unixtime(ts) is a double of seconds since the epoch, with fractions."""
    sql = "SELECT to_unixtime(from_iso8601_timestamp('2026-02-14T10:00:00.5Z'))"
    assert athena_value(con, sql) == 1771063200.5


def test_date_trunc_on_timestamp_with_time_zone_uses_utc(con):
    """Trino (session zone UTC): date_trunc('hour', 10:34:56Z) = 10:00:00Z;
    date_trunc('day', …) = midnight UTC."""
    rows = athena(
        con,
        "SELECT to_unixtime(date_trunc('hour', from_iso8601_timestamp('2026-02-14T10:34:56Z'))), "
        "to_unixtime(date_trunc('day', from_iso8601_timestamp('2026-02-14T23:59:59Z')))",
    )
    assert rows == [(1771063200.0, 1771027200.0)]


# -- aggregates and windows ------------------------------------------------------------------


def test_count_if(con):
    """Trino: count_if(cond) counts rows where cond is true (NULL counts as false)."""
    sql = "SELECT count_if(x > 2) FROM (VALUES 1, 2, 3, 4, NULL) AS t(x)"
    assert athena_value(con, sql) == 2


def test_approx_percentile_is_close_to_the_exact_percentile(con):
    """Trino: approx_percentile(x, 0.9) over 1..1000 ≈ 900 (rank error ≤ ~1%), and
    approx_percentile(x, ARRAY[0.5, 0.9]) returns an array of both."""
    single, both = athena(
        con,
        "SELECT approx_percentile(x, 0.9), approx_percentile(x, ARRAY[0.5, 0.9]) "
        "FROM (SELECT CAST(x AS DOUBLE) AS x FROM UNNEST(sequence(1, 1000)) AS t(x))",
    )[0]
    assert abs(single - 900) <= 10
    assert len(both) == 2
    assert abs(both[0] - 500) <= 10
    assert abs(both[1] - 900) <= 10


@pytest.mark.parametrize(
    "call", ["approx_percentile(x, w, 0.9)", "approx_percentile(x, w, 0.9, 0.01)"]
)
def test_weighted_approx_percentile_is_refused(call):
    """Trino: the weighted form weights each value; sqlglot drops the weight silently, so the
    transpiler refuses rather than answer wrongly."""
    with pytest.raises(QueryError, match="weight"):
        transpile_athena(f"SELECT {call} FROM t")


def test_row_number_over_partition_dedupes_success_first(con):
    """Trino: row_number() numbers rows per partition in the given order; the project uses
    it to keep one outcome per (run_id, shard_id), preferring success."""
    sql = """
        SELECT shard_id, status FROM (
            SELECT shard_id, status,
                   row_number() OVER (
                       PARTITION BY run_id, shard_id
                       ORDER BY CASE WHEN status = 'success' THEN 0 ELSE 1 END, event_time DESC
                   ) AS rn
            FROM (VALUES ('r', 0, 'failure', 'b'), ('r', 0, 'success', 'a'),
                         ('r', 1, 'failure', 'a'), ('r', 1, 'failure', 'c'))
                 AS t(run_id, shard_id, status, event_time)
        ) WHERE rn = 1 ORDER BY shard_id
    """
    assert athena(con, sql) == [(0, "success"), (1, "failure")]


# -- strings, JSON, regex, casts -------------------------------------------------------------


def test_format_uses_java_format_semantics(con):
    """Trino: format() is java.util.Formatter: %s prints any value (String.valueOf, 'null'
    for NULL), %05d pads, %.2f rounds, %x is hex, %2$s picks an argument, %% is '%',
    %S upper-cases."""
    rows = athena(
        con,
        "SELECT format('%s-%05d', 'run', 42), format('%.2f', 3.14159), format('%s', 7), "
        "format('%x', 255), format('%2$s %1$s', 'a', 'b'), format('%d%%', 5), "
        "format('%S', 'abc'), format('%s', CAST(NULL AS VARCHAR)), format('%s', 1.5e0)",
    )
    assert rows == [("run-00042", "3.14", "7", "ff", "b a", "5%", "ABC", "null", "1.5")]


@pytest.mark.parametrize("fmt", ["'%,d'", "'%tY'", "'%b'", "'%g'", "'%s %s'"])
def test_format_refuses_what_it_cannot_reproduce(fmt):
    with pytest.raises(QueryError, match="format"):
        transpile_athena(f"SELECT format({fmt}, 1)")


def test_format_needs_a_literal_pattern():
    with pytest.raises(QueryError, match="string literal"):
        transpile_athena("SELECT format(pattern, 1) FROM t")


def test_cardinality_of_map_and_array(con):
    """Trino: cardinality(map) is the number of entries, cardinality(array) the length."""
    sql = "SELECT cardinality(MAP(ARRAY['a', 'b'], ARRAY[1, 2])), cardinality(ARRAY[1, 2, 3])"
    assert athena(con, sql) == [(2, 3)]


JSON = (
    '{"selected_dimensions":{"num_riders":100,"commission_rate":0.15,'
    '"matching_algorithm_type":"hungarian","surge_enabled":true,"epoch_ms":null},'
    '"resolved_scenario_parameters":{"pricing_config":{"base_fare":2.5}},"list":[1,2]}'
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.selected_dimensions.num_riders", "100"),
        ("$.selected_dimensions.commission_rate", "0.15"),
        ("$.selected_dimensions.matching_algorithm_type", "hungarian"),
        ("$.selected_dimensions.surge_enabled", "true"),
        ("$.resolved_scenario_parameters.pricing_config.base_fare", "2.5"),
        ("$.list[1]", "2"),
        ("$.selected_dimensions.epoch_ms", None),  # JSON null
        ("$.selected_dimensions", None),  # object: not a scalar
        ("$.list", None),  # array: not a scalar
        ("$.missing", None),
    ],
)
def test_json_extract_scalar(con, path, expected):
    """Trino: json_extract_scalar returns the scalar as varchar (strings unquoted), and
    NULL for objects, arrays, JSON null and missing paths."""
    sql = f"SELECT json_extract_scalar('{JSON}', '{path}')"
    assert athena_value(con, sql) == expected


def test_json_extract_scalar_cast_to_number(con):
    """The project's pattern: CAST(json_extract_scalar(...) AS BIGINT/DOUBLE)."""
    riders = f"json_extract_scalar('{JSON}', '$.selected_dimensions.num_riders')"
    rate = f"json_extract_scalar('{JSON}', '$.selected_dimensions.commission_rate')"
    sql = f"SELECT CAST({riders} AS BIGINT), CAST({rate} AS DOUBLE)"
    assert athena(con, sql) == [(100, 0.15)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("try_cast('12' AS BIGINT)", 12),
        ("try_cast('-12' AS INTEGER)", -12),
        ("try_cast('1.5' AS BIGINT)", None),  # DuckDB alone would give 2
        ("try_cast(' 12' AS BIGINT)", None),  # Long.parseLong does not trim
        ("try_cast('abc' AS BIGINT)", None),
        ("try_cast(CAST(NULL AS VARCHAR) AS BIGINT)", None),
        ("try_cast(2.7e0 AS BIGINT)", 3),  # double → bigint rounds
        ("try_cast('2.5' AS DOUBLE)", 2.5),
        ("try_cast('x' AS DOUBLE)", None),
    ],
)
def test_try_cast(con, expression, expected):
    """Trino: try_cast is cast returning NULL on failure; varchar → integer uses Java's
    parseLong (digits with an optional sign only), double → integer rounds."""
    assert athena_value(con, f"SELECT {expression}") == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("regexp_extract('shard-17', 'shard-(\\d+)', 1)", "17"),
        ("regexp_extract('shard-17', '\\d+')", "17"),
        ("regexp_extract('shard-x', 'shard-(\\d+)', 1)", None),  # no match: NULL, not ''
        ("regexp_extract('ab', 'a(\\d+)?b', 1)", None),  # group did not participate
    ],
)
def test_regexp_extract(con, expression, expected):
    """Trino: regexp_extract returns the first match (or group), NULL when nothing matches."""
    assert athena_value(con, f"SELECT {expression}") == expected


# -- tables, "$path", statements -------------------------------------------------------------


def test_path_column_reads_the_paths_views():
    """Athena's "$path" pseudo-column: tables of ride_sim_analytics are redirected to the
    ride_sim_analytics_paths views that carry it; CTEs and other tables are untouched."""
    sql = transpile_athena(
        'WITH sweep_trip_data AS (SELECT 1 AS x) SELECT m."$path", t.x '
        "FROM ride_sim_analytics.sweep_shard_metrics AS m, sweep_trip_data AS t, other AS o"
    )
    assert "ride_sim_analytics_paths.sweep_shard_metrics" in sql
    assert "ride_sim_analytics_paths.sweep_trip_data" not in sql
    assert "FROM other" not in sql
    assert "other AS o" in sql


def test_queries_without_path_keep_the_plain_tables():
    sql = transpile_athena("SELECT * FROM sweep_shard_metrics")
    assert sql == "SELECT * FROM sweep_shard_metrics"


def test_awsdatacatalog_is_stripped():
    sql = transpile_athena(
        'SELECT 1 FROM "awsdatacatalog"."ride_sim_analytics"."sweep_run_context"'
    )
    assert "awsdatacatalog" not in sql
    assert "ride_sim_analytics" in sql
    assert "sweep_run_context" in sql


def test_trailing_semicolon_is_fine():
    assert transpile_athena("SELECT 1;") == "SELECT 1"


@pytest.mark.parametrize("sql", ["SELECT 1; SELECT 2", "", "SELEC 1", "SELECT (1"])
def test_bad_statements_raise_query_error(sql):
    with pytest.raises(QueryError):
        transpile_athena(sql)


def test_long_literal_in_lists_become_a_subquery_for_duckdb():
    points = ", ".join(f"'{i}'" for i in range(LONG_IN_LIST))
    sql = transpile_athena(f"SELECT x FROM t WHERE p IN ({points}) AND q IN ('a', 'b')")
    assert f"p IN (SELECT UNNEST([{points}]))" in sql  # a semi-join, not a literal list
    assert "q IN ('a', 'b')" in sql  # short lists stay literal
    shorter = ", ".join(f"'{i}'" for i in range(LONG_IN_LIST - 1))
    assert f"p IN ({shorter})" in transpile_athena(f"SELECT x FROM t WHERE p IN ({shorter})")


def test_the_subquery_form_selects_the_same_rows():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT CAST(range AS VARCHAR) AS p FROM range(500)")
    wanted = [str(i) for i in range(0, 500, 3)]
    literal = "SELECT p FROM t WHERE p IN (" + ", ".join(f"'{w}'" for w in wanted) + ") ORDER BY p"
    rewritten = transpile_athena(literal)
    assert "UNNEST" in rewritten
    assert con.sql(rewritten).fetchall() == con.sql(literal).fetchall()


def test_long_lists_inside_literals_and_comments_are_left_alone():
    items = ", ".join(f"''{i}''" for i in range(LONG_IN_LIST))
    literal = f"'x IN ({items})'"
    sql = transpile_athena(f"SELECT {literal} AS s -- IN ({', '.join(str(i) for i in range(99))})")
    assert "UNNEST" not in sql and f"IN ({items})" in sql


def test_not_in_long_list_keeps_its_meaning():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT CAST(range AS VARCHAR) AS p FROM range(200)")
    wanted = ", ".join(f"'{i}'" for i in range(0, 200, 2))
    athena = f"SELECT count(*) FROM t WHERE p NOT IN ({wanted}) AND p IN ({wanted}, '1')"
    assert con.sql(transpile_athena(athena)).fetchall() == [(1,)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM ride_sim_analytics.sweep_shard_metrics m WHERE m.run_id = 'r1'", "r1"),
        (
            "SELECT * FROM sweep_shard_outcomes "
            "WHERE status_partition = 's' AND run_id_partition = 'r2'",
            "r2",
        ),
        ("SELECT * FROM sweep_shard_metrics m WHERE m.run_id = 'r1' OR m.run_id = 'r2'", None),
        (
            "SELECT * FROM sweep_shard_metrics m WHERE m.run_id_partition = 'r1'",
            None,
        ),  # not its column
        (
            "SELECT * FROM sweep_shard_metrics m JOIN sweep_trip_data t ON true WHERE run_id = 'r'",
            None,
        ),
        ("SELECT * FROM sweep_shard_metrics m WHERE m.run_id IN (SELECT 'r')", None),
    ],
)
def test_dataset_tables_finds_the_run_a_reference_is_restricted_to(sql, expected):
    import sqlglot

    from sweeplib.query.dialect import dataset_tables

    found = dataset_tables(sqlglot.parse_one(sql, read="athena"))
    assert found[0][1] == expected


def test_dataset_tables_looks_at_the_select_that_reads_the_table():
    import sqlglot

    from sweeplib.query.dialect import dataset_tables

    sql = (
        "WITH c AS (SELECT * FROM sweep_shard_outcomes o WHERE o.run_id_partition = 'a') "
        "SELECT * FROM c JOIN sweep_effective_parameters p ON true WHERE p.run_id_partition = 'b'"
    )
    found = {t.name: run for t, run in dataset_tables(sqlglot.parse_one(sql, read="athena"))}
    assert found == {"sweep_shard_outcomes": "a", "sweep_effective_parameters": "b"}
