"""The ObjectStore contract against the in-memory twin (the local folder runs it in
tests/functional, S3 in tests/integration)."""

from __future__ import annotations

import pytest

from sweeplib.storage.store import MemoryObjectStore
from tests.contracts.object_store import ObjectStoreContract


class TestMemoryObjectStore(ObjectStoreContract):
    @pytest.fixture
    def store(self):
        return MemoryObjectStore()
