"""Which code made a run: the sweeplib version, a hash of the kernel's source, and (in
Lambda) the deployed artifact's sha256.

Recorded in ``run_context`` when a run is accepted, so two runs that differ only in
code are told apart (a kernel change changes outputs without changing any parameter).
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

from sweeplib import __version__
from sweeplib.contracts import Provenance

__all__ = ["Provenance", "current_provenance", "kernel_hash"]

# Compiled builds may ship extension modules beside (or instead of) the sources.
_SOURCE_SUFFIXES = (".py",)
_COMPILED_SUFFIXES = (".so", ".pyd")


@functools.cache
def kernel_hash() -> str:
    """SHA-256 hex over the kernel's source files (``sweeplib/sim/*.py``, by name).

    Each file contributes its name, a NUL, its bytes and a NUL, in name order. When
    the package carries no kernel sources (a compiled-only build), the extension
    modules are hashed instead, and the hash says so with a ``compiled:`` prefix.
    """
    package = resources.files("sweeplib.sim")
    for suffixes, label in ((_SOURCE_SUFFIXES, ""), (_COMPILED_SUFFIXES, "compiled:")):
        files = sorted(
            (entry for entry in package.iterdir() if entry.name.endswith(suffixes)),
            key=lambda entry: entry.name,
        )
        if files:
            digest = hashlib.sha256()
            for entry in files:
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
            return label + digest.hexdigest()
    raise RuntimeError("sweeplib.sim has neither sources nor compiled modules")


def current_provenance(artifact_sha256: str | None = None) -> Provenance:
    """The provenance of the code running now (``artifact_sha256``: the deployment's,
    from ``SWEEP_ARTIFACT_SHA256``; ``None`` outside Lambda)."""
    return Provenance(
        sweeplib_version=__version__,
        kernel_hash=kernel_hash(),
        artifact_sha256=artifact_sha256,
    )
