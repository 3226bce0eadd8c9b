"""The same inputs give the same bytes in another interpreter, whatever its hash seed:
Parquet encodings, simulation outputs, request fingerprints. (The same-process checks
are unit tests next to each module.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sweeplib.sim import ScenarioParams, simulate
from sweeplib.storage.parquet import encode_rows
from sweeplib.storage.schemas import TRIP_DATA_SCHEMA
from tests.factories import (
    DEMO_CONFIG_FINGERPRINT,
    DEMO_REQUEST_FILE,
    DEMO_REQUEST_FINGERPRINT,
    trip_rows,
)

ROOT = Path(__file__).resolve().parents[2]
SMALL = ScenarioParams(num_riders=120, num_drivers=40, match_radius=3, seed=99)

# A script that builds the same trip table in a fresh interpreter and prints its encoding.
_SUBPROCESS_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path[:0] = {path!r}
    from tests.factories import trip_rows
    from sweeplib.storage.parquet import encode_rows
    from sweeplib.storage.schemas import TRIP_DATA_SCHEMA
    sys.stdout.write(encode_rows(trip_rows(500), TRIP_DATA_SCHEMA).hex())
    """
)


def test_same_table_encodes_to_identical_bytes_across_processes():
    script = _SUBPROCESS_SCRIPT.format(path=[str(ROOT), *sys.path])
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert bytes.fromhex(result.stdout) == encode_rows(trip_rows(500), TRIP_DATA_SCHEMA)


def test_same_params_give_identical_outputs_across_processes():
    code = (
        "import hashlib, json\n"
        "import numpy as np\n"
        "from sweeplib.sim import ScenarioParams, simulate\n"
        "def h(columns):\n"
        "    d = hashlib.sha256()\n"
        "    for name, c in columns.items():\n"
        "        d.update(name.encode()); d.update(np.ma.getdata(c).tobytes())\n"
        "        d.update(np.ma.getmaskarray(c).tobytes())\n"
        "    return d.hexdigest()\n"
        "r = simulate(ScenarioParams(num_riders=120, num_drivers=40, match_radius=3, seed=99))\n"
        "print(json.dumps([r.metrics, h(r.trip_data), h(r.snapshot_counts)]))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": str(hash_seed), "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in (0, 1, 12345)
    }
    assert len(outputs) == 1
    metrics, _, _ = json.loads(outputs.pop())
    assert metrics == json.loads(json.dumps(simulate(SMALL).metrics))


_FINGERPRINT_SCRIPT = """
import sys
from sweeplib.contracts import (
    config_fingerprint, parameter_fingerprint, parse_sweep_request_json, request_fingerprint,
)
request = parse_sweep_request_json(open(sys.argv[1], encoding="utf-8").read())
names = {f"name_{i}": i for i in range(50)}
print(request_fingerprint(request), config_fingerprint(request), parameter_fingerprint(names))
"""


def test_fingerprints_are_stable_across_processes_and_hash_seeds():
    outputs = set()
    for hash_seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        completed = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT_SCRIPT, str(DEMO_REQUEST_FILE)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        outputs.add(completed.stdout)
    assert len(outputs) == 1
    request_fp, config_fp, _ = outputs.pop().split()
    assert (request_fp, config_fp) == (DEMO_REQUEST_FINGERPRINT, DEMO_CONFIG_FINGERPRINT)
