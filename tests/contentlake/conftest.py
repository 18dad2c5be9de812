from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contentlake.support import Lake, make_lake


@pytest.fixture
def lake(tmp_path: Path) -> Iterator[Lake]:
    lake = make_lake(tmp_path)
    yield lake
    lake.close()
