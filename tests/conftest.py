"""Shared by every layer: the contract suites get pytest's assertion messages."""

from __future__ import annotations

import pytest

# The contract suites live outside test modules; without this their failed asserts
# would say only "AssertionError".
pytest.register_assert_rewrite("tests.contracts")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test a compiled kernel older than its sources (ADR 0020).

    ``make compile-kernel`` builds the mypyc extensions beside the ``.py`` files, where
    they take precedence on import: after an edit, the tests would silently run the old
    code. ``make test`` rebuilds first; running pytest directly needs the same.
    """
    from tests.kernel_builds import stale_compiled_modules

    stale = stale_compiled_modules()
    if stale:
        pytest.exit(
            f"the compiled kernel is older than {', '.join(stale)}: run `make compile-kernel` "
            "(or `make pure-kernel` to test the pure-Python kernel)",
            returncode=4,
        )
