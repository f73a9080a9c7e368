from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, running_stack


@pytest.fixture
def stack(seeded_url: str, tmp_path: Path) -> Iterator[Stack]:
    """The served app on a copy of the seeded template database (SQLite; PostgreSQL too
    for tests marked `both_databases`)."""
    with running_stack(seeded_url, tmp_path, seeded=True) as running:
        yield running
