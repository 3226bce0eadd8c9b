"""Fixtures for functional tests: small sweeps through the real local store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import request_body


@pytest.fixture
def request_file(tmp_path: Path):
    """A function writing :func:`tests.factories.request_body` (with changes) to a file."""

    def write(**changes) -> Path:
        path = tmp_path / "request.json"
        path.write_text(json.dumps(request_body(**changes)))
        return path

    return write


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → bytes), temp files included."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
