"""Object keys: the pinned layout, validation, listing prefixes and parse_key."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sweeplib.errors import InvalidRequest, StorageError
from sweeplib.storage import keys
from sweeplib.storage.keys import ParsedKey, parse_key

RUN_DATE = "2026-02-14"


def test_pinned_shard_metrics_key():
    key = keys.RunAddress.of(
        "2026-02-14", "run-123", prefix="serverless-sweeps/outcomes"
    ).point_key("shard_metrics", "success", 4, 9)
    assert key == (
        "serverless-sweeps/outcomes/dataset=shard_metrics/run_date=2026-02-14/"
        "run_id=run-123/status=success/shard_id=4/point_index=9/part-0.parquet"
    )


def test_default_prefix_is_serverless_sweeps_outcomes():
    assert keys.DEFAULT_PREFIX == "serverless-sweeps/outcomes"
    assert (
        keys.RunAddress.of(RUN_DATE, "r")
        .point_key("shard_metrics", "success", 0, 0)
        .startswith("serverless-sweeps/outcomes/dataset=shard_metrics/")
    )


def test_shard_outcome_key_layout():
    assert keys.RunAddress.of(RUN_DATE, "run-1").shard_outcome_key("failure", 7) == (
        "serverless-sweeps/outcomes/dataset=shard_outcomes/run_date=2026-02-14/"
        "run_id_partition=run-1/status_partition=failure/shard_id_partition=7/part-0.parquet"
    )


def test_run_context_key_layout():
    assert keys.RunAddress.of(RUN_DATE, "run-1").run_context_key() == (
        "serverless-sweeps/outcomes/dataset=run_context/run_date=2026-02-14/"
        "run_id_partition=run-1/status_partition=accepted/part-0.parquet"
    )


def test_effective_parameters_key_layout():
    assert keys.RunAddress.of(RUN_DATE, "run-1").point_key(
        "effective_parameters", "success", 2, 31
    ) == (
        "serverless-sweeps/outcomes/dataset=effective_parameters/run_date=2026-02-14/"
        "run_id_partition=run-1/status_partition=success/shard_id_partition=2/"
        "point_index_partition=31/part-0.parquet"
    )


@pytest.mark.parametrize("dataset", ["trip_data", "snapshot_counts", "shard_metrics"])
def test_point_dataset_keys_share_the_plain_layout(dataset):
    expected = (
        f"serverless-sweeps/outcomes/dataset={dataset}/run_date=2026-02-14/"
        "run_id=r.1_x/status=success/shard_id=0/point_index=12/part-0.parquet"
    )
    assert keys.RunAddress.of(RUN_DATE, "r.1_x").point_key(dataset, "success", 0, 12) == expected


def test_the_per_point_datasets():
    run_level = {*keys.RUN_TABLE_DATASETS, "run_consolidation"}
    assert set(keys.POINT_DATASETS) == set(keys.DATASETS) - {"shard_outcomes", "run_context"} - (
        run_level
    )


def test_an_address_is_checked_once_and_then_builds_keys_without_checking(monkeypatch):
    address = keys.RunAddress.of(date(2026, 2, 14), "r1", prefix="/custom/base/")
    assert address == keys.RunAddress("custom/base", "2026-02-14", "r1")

    def checked_again(*_args):
        raise AssertionError("checked again")

    for name in ("validate_run_id", "format_run_date", "normalize_prefix"):
        monkeypatch.setattr(keys, name, checked_again)
    assert address.point_key("trip_data", "success", 3, 17).startswith("custom/base/")
    assert address.shard_outcome_key("failure", 3).endswith("shard_id_partition=3/part-0.parquet")
    assert address.run_context_key().endswith("status_partition=accepted/part-0.parquet")


@pytest.mark.parametrize(
    ("prefix", "start"),
    [
        ("/custom/base/", "custom/base/dataset="),
        ("custom", "custom/dataset="),
        ("", "dataset="),
        ("///", "dataset="),
    ],
)
def test_prefix_is_trimmed_of_surrounding_slashes(prefix, start):
    assert keys.RunAddress.of(RUN_DATE, "r", prefix=prefix).run_context_key().startswith(start)


@pytest.mark.parametrize("prefix", ["a/../b", "a//b", "./a", "a/dataset=x", "a b", "a\\b"])
def test_bad_prefix_is_rejected(prefix):
    with pytest.raises(InvalidRequest) as info:
        keys.RunAddress.of(RUN_DATE, "r", prefix=prefix).run_context_key()
    assert info.value.field == "prefix"


def test_run_date_may_be_a_date():
    assert (
        keys.RunAddress.of(date(2026, 2, 4), "r").run_context_key()
        == keys.RunAddress.of("2026-02-04", "r").run_context_key()
    )


@pytest.mark.parametrize("run_date", ["2026-2-14", "20260214", "2026-02-30", "2026-13-01", "", " "])
def test_bad_run_date_is_rejected(run_date):
    with pytest.raises(InvalidRequest) as info:
        keys.RunAddress.of(run_date, "r").run_context_key()
    assert info.value.field == "run_date"


@pytest.mark.parametrize("run_id", ["", "a/b", "../x", "a b", "ü", "x" * 129, "a\\b", "a=b"])
def test_bad_run_id_is_rejected(run_id):
    with pytest.raises(InvalidRequest) as info:
        keys.RunAddress.of(RUN_DATE, run_id).shard_outcome_key("success", 0)
    assert info.value.field == "run_id"


def test_run_id_of_128_allowed_characters_is_accepted():
    run_id = ("Az09._-" * 19)[:128]
    assert f"run_id={run_id}/" in keys.RunAddress.of(RUN_DATE, run_id).point_key(
        "trip_data", "success", 0, 0
    )


@given(st.text(max_size=20))
def test_built_keys_never_hold_dot_dot_or_foreign_slashes(run_id):
    try:
        key = keys.RunAddress.of(RUN_DATE, run_id).point_key("shard_metrics", "success", 1, 2)
    except InvalidRequest:
        return
    segments = key.split("/")
    assert len(segments) == 9  # 2 prefix + dataset + 5 partitions + file
    assert ".." not in segments
    assert "." not in segments
    assert segments[4] == f"run_id={run_id}"


# -- listing prefixes ------------------------------------------------------------------------


def test_dataset_prefix():
    assert keys.dataset_prefix("run_context") == ("serverless-sweeps/outcomes/dataset=run_context/")
    assert keys.dataset_prefix("trip_data", prefix="") == "dataset=trip_data/"


def test_dataset_prefix_rejects_unknown_dataset():
    with pytest.raises(InvalidRequest, match="known: shard_outcomes"):
        keys.dataset_prefix("metrics")  # type: ignore[arg-type]


def test_run_date_prefix():
    assert keys.run_date_prefix("shard_metrics", RUN_DATE) == (
        "serverless-sweeps/outcomes/dataset=shard_metrics/run_date=2026-02-14/"
    )


def test_run_prefix_uses_each_datasets_partition_names():
    assert keys.RunAddress.of(RUN_DATE, "r1").dataset_prefix("shard_outcomes") == (
        "serverless-sweeps/outcomes/dataset=shard_outcomes/run_date=2026-02-14/run_id_partition=r1/"
    )
    assert keys.RunAddress.of(RUN_DATE, "r1").dataset_prefix(
        "shard_outcomes", status="success"
    ) == (
        "serverless-sweeps/outcomes/dataset=shard_outcomes/run_date=2026-02-14/"
        "run_id_partition=r1/status_partition=success/"
    )
    assert keys.RunAddress.of(RUN_DATE, "r1").dataset_prefix("trip_data", status="failure") == (
        "serverless-sweeps/outcomes/dataset=trip_data/run_date=2026-02-14/run_id=r1/status=failure/"
    )
    assert (
        keys.RunAddress.of(RUN_DATE, "r1")
        .dataset_prefix("run_context", status="accepted")
        .endswith("run_id_partition=r1/status_partition=accepted/")
    )


def test_run_prefix_rejects_wrong_status_for_run_context():
    with pytest.raises(InvalidRequest):
        keys.RunAddress.of(RUN_DATE, "r1").dataset_prefix("run_context", status="success")


def test_run_prefix_of_one_run_does_not_match_a_longer_run_id():
    other = keys.RunAddress.of(RUN_DATE, "r10").shard_outcome_key("success", 0)
    mine = keys.RunAddress.of(RUN_DATE, "r1").shard_outcome_key("success", 0)
    prefix = keys.RunAddress.of(RUN_DATE, "r1").dataset_prefix("shard_outcomes")
    assert mine.startswith(prefix)
    assert not other.startswith(prefix)


@pytest.mark.parametrize("dataset", keys.DATASETS)
def test_every_key_starts_with_its_listing_prefixes(dataset):
    key = _build(dataset, "r1", 3, 5)
    assert key.startswith(keys.dataset_prefix(dataset))
    assert key.startswith(keys.run_date_prefix(dataset, RUN_DATE))
    assert key.startswith(keys.RunAddress.of(RUN_DATE, "r1").dataset_prefix(dataset))


# -- parse_key ------------------------------------------------------------------------------


def _build(dataset, run_id, shard_id, point_index, status="success", prefix=keys.DEFAULT_PREFIX):
    if dataset in keys.RUN_TABLE_DATASETS:  # the generation stands in the shard id's place
        return keys.RunAddress.of(RUN_DATE, run_id, prefix=prefix).run_table_key(dataset, shard_id)
    if dataset == "run_consolidation":
        return keys.RunAddress.of(RUN_DATE, run_id, prefix=prefix).consolidation_key()
    if dataset == "shard_outcomes":
        return keys.RunAddress.of(RUN_DATE, run_id, prefix=prefix).shard_outcome_key(
            status, shard_id
        )
    if dataset == "run_context":
        return keys.RunAddress.of(RUN_DATE, run_id, prefix=prefix).run_context_key()
    if dataset == "effective_parameters":
        return keys.RunAddress.of(RUN_DATE, run_id, prefix=prefix).point_key(
            "effective_parameters", status, shard_id, point_index
        )
    return keys.RunAddress.of(RUN_DATE, run_id, prefix=prefix).point_key(
        dataset, status, shard_id, point_index
    )


def test_parse_pinned_key():
    parsed = parse_key(
        "serverless-sweeps/outcomes/dataset=shard_metrics/run_date=2026-02-14/"
        "run_id=run-123/status=success/shard_id=4/point_index=9/part-0.parquet"
    )
    assert parsed == ParsedKey(
        prefix="serverless-sweeps/outcomes",
        dataset="shard_metrics",
        run_date="2026-02-14",
        run_id="run-123",
        status="success",
        shard_id=4,
        point_index=9,
    )


def test_parse_run_context_key():
    parsed = parse_key(keys.RunAddress.of(RUN_DATE, "r1", prefix="p").run_context_key())
    assert (parsed.prefix, parsed.dataset, parsed.run_id, parsed.status) == (
        "p",
        "run_context",
        "r1",
        "accepted",
    )
    assert parsed.shard_id is None
    assert parsed.point_index is None


def test_parse_shard_outcome_key_has_no_point_index():
    parsed = parse_key(
        keys.RunAddress.of(RUN_DATE, "r1", prefix="").shard_outcome_key("failure", 12)
    )
    assert (parsed.prefix, parsed.status, parsed.shard_id, parsed.point_index) == (
        "",
        "failure",
        12,
        None,
    )


@given(
    dataset=st.sampled_from(keys.DATASETS),
    # valid run ids: the character set, but not only dots ("." and ".." are path parts)
    run_id=st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True).filter(
        lambda run_id: run_id.strip(".") != ""
    ),
    shard_id=st.integers(0, 10**6),
    point_index=st.integers(0, 10**9),
    status=st.sampled_from(["success", "failure"]),
    prefix=st.sampled_from(["", "serverless-sweeps/outcomes", "a/b/c"]),
)
def test_parse_key_inverts_the_builders(dataset, run_id, shard_id, point_index, status, prefix):
    parsed = parse_key(_build(dataset, run_id, shard_id, point_index, status, prefix))
    assert parsed.prefix == prefix
    assert parsed.dataset == dataset
    assert parsed.run_date == RUN_DATE
    assert parsed.run_id == run_id
    if dataset == "run_context":
        assert (parsed.status, parsed.shard_id, parsed.point_index) == ("accepted", None, None)
    elif dataset in keys.RUN_TABLE_DATASETS or dataset == "run_consolidation":
        generation = shard_id if dataset != "run_consolidation" else None
        assert (parsed.status, parsed.shard_id, parsed.point_index) == ("consolidated", None, None)
        assert parsed.generation == generation
    else:
        assert parsed.status == status
        assert parsed.shard_id == shard_id
        has_point = dataset not in ("shard_outcomes",)
        assert parsed.point_index == (point_index if has_point else None)


@pytest.mark.parametrize(
    "key",
    [
        "p/dataset=run_context/run_date=2026-02-14/run_id_partition=r/status_partition=accepted/x.parquet",
        "p/dataset=run_context/run_date=2026-02-14/run_id_partition=r/part-0.parquet",
        "p/dataset=nope/run_date=2026-02-14/run_id=r/part-0.parquet",
        "p/run_date=2026-02-14/run_id=r/part-0.parquet",
        "p/dataset=trip_data/run_date=2026-02-14/run_id=r/status=success/shard_id=04/point_index=1/part-0.parquet",
        "p/dataset=trip_data/run_date=2026-02-14/run_id=r/status=success/shard_id=-1/point_index=1/part-0.parquet",
        "p/dataset=trip_data/run_date=2026-02-14/run_id=r/status=ok/shard_id=1/point_index=1/part-0.parquet",
        "p/dataset=trip_data/run_date=2026-02-14/run_id_partition=r/status=success/shard_id=1/point_index=1/part-0.parquet",
        "p/dataset=trip_data/run_date=2026-2-14/run_id=r/status=success/shard_id=1/point_index=1/part-0.parquet",
        "p/dataset=run_context/run_date=2026-02-14/run_id_partition=r/status_partition=success/part-0.parquet",
        "dataset=run_context/dataset=run_context/run_date=2026-02-14/run_id_partition=r/status_partition=accepted/part-0.parquet",
    ],
)
def test_parse_key_rejects_foreign_layouts(key):
    with pytest.raises(StorageError) as info:
        parse_key(key)
    assert info.value.key == key


@pytest.mark.parametrize("run_id", [".", "..", "...", "../x", "a/b", ""])
def test_key_builders_refuse_run_ids_that_are_not_one_path_segment(run_id):
    with pytest.raises(InvalidRequest) as caught:
        keys.RunAddress.of("2026-02-14", run_id).point_key("shard_metrics", "success", 0, 0)
    assert caught.value.field == "run_id"
