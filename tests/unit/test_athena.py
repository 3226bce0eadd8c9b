"""The Athena side offline: the engine's one awswrangler call, the DDL, the bootstrap."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from sweeplib.cli import main
from sweeplib.errors import ConfigurationError, InvalidRequest, QueryError
from sweeplib.query import athena_engine
from sweeplib.query.athena_engine import AthenaQueryEngine
from sweeplib.query.bootstrap import BootstrapFailed, apply_ddl, ddl_statements
from sweeplib.query.named import run_named
from sweeplib.storage.schemas import DATASET_SPECS


@pytest.fixture
def sent(monkeypatch):
    """Replace the single awswrangler call; record (sql, options); answer from a queue."""
    calls: list[tuple[str, dict]] = []
    answers: list[pd.DataFrame] = []

    def fake(sql, **options):
        calls.append((sql, options))
        return answers.pop(0) if answers else pd.DataFrame({"x": [1]})

    monkeypatch.setattr(athena_engine, "_read_sql_query", fake)
    return calls, answers


def test_the_engine_sends_the_sql_with_database_workgroup_and_output(sent):
    calls, _ = sent
    engine = AthenaQueryEngine(
        database="ride_sim_analytics", workgroup="analysts", output_location="s3://r/athena/"
    )
    table = engine.execute("SELECT 1 AS x")
    assert table.to_pylist() == [{"x": 1}]
    sql, options = calls[0]
    assert sql == "SELECT 1 AS x"
    assert options == {
        "database": "ride_sim_analytics",
        "workgroup": "analysts",
        "ctas_approach": False,
        "boto3_session": None,
        "s3_output": "s3://r/athena/",
    }


def test_named_queries_are_sent_with_literal_runs_and_points(sent):
    calls, answers = sent
    answers.append(pd.DataFrame({"contexts": [1], "outcomes": [2]}))  # the run is known
    answers.append(pd.DataFrame({"shard_ids": [], "partitions": [], "dimensions": []}))
    answers.append(
        pd.DataFrame(
            {
                "shard_id": [0, 1],
                "state": ["succeeded", "failed"],
                "start_index": [0, 2],
                "end_index_exclusive": [2, 4],
            }
        )
    )
    answers.append(pd.DataFrame({"point_index": [0, 1]}))
    run_named(AthenaQueryEngine(), "point_metrics", {"run_id": "r-1"})
    known_sql, consolidation_sql, coverage_sql, metrics_sql = (call[0] for call in calls)
    assert "sweep_run_context" in known_sql and "'r-1'" in known_sql
    assert "sweep_run_consolidation" in consolidation_sql  # not consolidated: per-point tables
    assert "run_id_partition = 'r-1'" in coverage_sql
    assert "m.run_id = 'r-1'" in metrics_sql and "p.run_id_partition = 'r-1'" in metrics_sql
    assert "m.point_index IN ('0', '1')" in metrics_sql  # only shard 0 committed
    assert ":" not in re.sub(r"'[^']*'", "", metrics_sql.split("\n", 5)[-1])  # all bound


def test_named_queries_read_the_current_run_tables_with_a_literal_generation(sent):
    calls, answers = sent
    answers.append(pd.DataFrame({"contexts": [1], "outcomes": [2]}))
    answers.append(
        pd.DataFrame({"shard_ids": ["0,1"], "partitions": ["3-0,3-1"], "dimensions": ["x"]})
    )
    answers.append(pd.DataFrame({"shard_id": [1, 0]}))  # every committed shard is held
    answers.append(pd.DataFrame({"point_index": [0, 1]}))
    run_named(AthenaQueryEngine(), "point_metrics", {"run_id": "r-1"})
    sql = calls[-1][0]
    assert "FROM ride_sim_analytics.sweep_run_points" in sql
    assert "run_id_partition = 'r-1' AND generation IN ('3-0', '3-1')" in sql
    assert "sweep_shard_metrics" not in sql and len(calls) == 4


def test_named_queries_fall_back_when_more_shards_committed_since(sent):
    calls, answers = sent
    answers.append(pd.DataFrame({"contexts": [1], "outcomes": [3]}))
    answers.append(pd.DataFrame({"shard_ids": ["0"], "partitions": ["0"], "dimensions": ["x"]}))
    answers.append(pd.DataFrame({"shard_id": [0, 1]}))  # shard 1 committed after
    answers.append(
        pd.DataFrame(
            {
                "shard_id": [0, 1],
                "state": ["succeeded", "succeeded"],
                "start_index": [0, 1],
                "end_index_exclusive": [1, 2],
            }
        )
    )
    answers.append(pd.DataFrame({"point_index": [0, 1]}))
    run_named(AthenaQueryEngine(), "point_metrics", {"run_id": "r-1"})
    sql = calls[-1][0]
    assert "sweep_shard_metrics" in sql and "m.point_index IN ('0', '1')" in sql


def test_an_unknown_run_is_refused_with_the_close_matches(sent):
    calls, answers = sent
    answers.append(pd.DataFrame({"contexts": [0], "outcomes": [0]}))
    answers.append(pd.DataFrame({"run_id": ["r-10", "other"]}))
    with pytest.raises(InvalidRequest, match=r"no run 'r-1'.*'r-10'") as caught:
        run_named(AthenaQueryEngine(), "point_metrics", {"run_id": "r-1"})
    assert caught.value.field == "run_id" and len(calls) == 2


def test_engine_errors_keep_the_sql(monkeypatch):
    def fail(sql, **options):
        raise RuntimeError("SYNTAX_ERROR: line 1:8")

    monkeypatch.setattr(athena_engine, "_read_sql_query", fail)
    with pytest.raises(QueryError, match="SYNTAX_ERROR") as caught:
        AthenaQueryEngine().execute("SELECT nope")
    assert "SELECT nope" in str(caught.value)
    with pytest.raises(QueryError, match="Athena SQL only"):
        AthenaQueryEngine().execute("SELECT 1", dialect="duckdb")
    with pytest.raises(ConfigurationError, match="output_location"):
        AthenaQueryEngine(output_location="r/athena")


def parse_table(sql: str) -> tuple[str, list[tuple[str, str]], list[str], str]:
    name = re.search(r"CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics\.(\w+)", sql)[1]
    body = re.search(r"\((.*?)\)\s*PARTITIONED BY", sql, re.S)[1]
    columns = re.findall(r"`(\w+)` (\w+)", body)
    partitions = re.findall(r"`(\w+)` string", re.search(r"PARTITIONED BY \((.*?)\)", sql, re.S)[1])
    template = re.search(r"'storage.location.template' = '([^']+)'", sql)[1]
    return name, columns, partitions, template


def test_the_ddl_declares_the_arrow_schemas_columns_and_partitions():
    statements = ddl_statements(bucket="results", prefix="serverless-sweeps/outcomes")
    assert statements[0][0] == "00_database.sql"
    assert "CREATE DATABASE IF NOT EXISTS ride_sim_analytics" in statements[0][1]
    tables = {parse_table(sql)[0]: parse_table(sql) for _, sql in statements[1:]}
    assert len(tables) == 10  # six contract datasets, four run-level tables (ADR 0016)
    for spec in DATASET_SPECS.values():
        _, columns, partitions, template = tables[spec.table_name]
        assert columns == [tuple(c) for c in spec.athena_columns]
        assert partitions == list(spec.partition_columns)
        expected = "/".join(f"{p}=${{{p}}}" for p in spec.partition_columns)
        assert template == (
            f"s3://results/serverless-sweeps/outcomes/dataset={spec.name}/{expected}/"
        )


def test_rendering_fills_deployment_placeholders_only():
    statements = ddl_statements(
        bucket="b", prefix="/x/y/", projection_start_date="2026-03-01", max_shards=250
    )
    text = "\n".join(sql for _, sql in statements)
    assert "${bucket}" not in text and "${prefix}" not in text and "${max_shard_id}" not in text
    assert "LOCATION 's3://b/x/y/dataset=trip_data/'" in text
    assert "'projection.run_date.range' = '2026-03-01,NOW'" in text
    assert "'projection.shard_id.range' = '0,249'" in text
    assert "run_date=${run_date}" in text  # Athena's own placeholder survives
    assert text.count("'projection.run_id.type' = 'injected'") == 3
    assert text.count("'projection.run_id_partition.type' = 'injected'") == 7
    assert text.count("'projection.generation.type' = 'injected'") == 3
    for bad in ({"bucket": "a/b"}, {"bucket": "b", "projection_start_date": "March"}):
        with pytest.raises(ConfigurationError):
            ddl_statements(**bad)


class FakeAthena:
    def __init__(self, fail_at: int | None = None, states_before: int = 1):
        self.started: list[dict] = []
        self.fail_at = fail_at
        self.states_before = states_before
        self.polls: dict[str, int] = {}

    def start_query_execution(self, **request):
        self.started.append(request)
        return {"QueryExecutionId": f"q-{len(self.started)}"}

    def get_query_execution(self, QueryExecutionId):  # noqa: N803 - the SDK's keyword
        count = self.polls[QueryExecutionId] = self.polls.get(QueryExecutionId, 0) + 1
        if count <= self.states_before:
            return {"QueryExecution": {"Status": {"State": "RUNNING"}}}
        index = int(QueryExecutionId.split("-")[1])
        if index == self.fail_at:
            status = {"State": "FAILED", "StateChangeReason": "FAILED: Database does not exist"}
        else:
            status = {"State": "SUCCEEDED"}
        return {"QueryExecution": {"Status": status}}


def test_bootstrap_runs_every_statement_in_order():
    athena = FakeAthena()
    statements = ddl_statements(bucket="results")
    results = apply_ddl(
        statements, athena=athena, workgroup="wg", output_location="s3://r/q/", sleep=lambda _: None
    )
    assert [r.statement for r in results] == [name for name, _ in statements]
    assert [r["QueryString"] for r in athena.started] == [sql for _, sql in statements]
    assert athena.started[0]["WorkGroup"] == "wg"
    assert athena.started[0]["ResultConfiguration"] == {"OutputLocation": "s3://r/q/"}


def test_bootstrap_stops_at_the_first_failure_with_id_and_reason():
    athena = FakeAthena(fail_at=3)
    with pytest.raises(BootstrapFailed) as caught:
        apply_ddl(ddl_statements(bucket="results"), athena=athena, sleep=lambda _: None)
    assert caught.value.execution_id == "q-3"
    assert caught.value.statement == "02_sweep_run_context.sql"
    assert "Database does not exist" in str(caught.value)
    assert len(athena.started) == 3  # nothing after the failure


def test_bootstrap_times_out():
    athena = FakeAthena(states_before=1_000)
    with pytest.raises(BootstrapFailed, match="TIMED_OUT"):
        apply_ddl(
            ddl_statements(bucket="results")[:1], athena=athena, timeout_s=3, sleep=lambda _: None
        )


def test_cli_prints_the_ddl_without_aws(capsys):
    assert main(["athena-bootstrap", "--bucket", "results", "--print"]) == 0
    out = capsys.readouterr().out
    assert out.count("CREATE EXTERNAL TABLE") == 10 and "-- 06_sweep_snapshot_counts.sql" in out
    assert "-- 10_sweep_run_consolidation.sql" in out
    assert main(["athena-bootstrap", "--bucket", "a/b", "--print"]) == 1
