"""Shared by every layer: the contract suites get pytest's assertion messages."""

from __future__ import annotations

import pytest

# The contract suites live outside test modules; without this their failed asserts
# would say only "AssertionError".
pytest.register_assert_rewrite("tests.contracts")
