"""Fixtures for the signals tests (helpers live in sigdata.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigdata import encode, skimage_photo

PDQ_REF = "pdq-reference"


@pytest.fixture(scope="session")
def pdq_ref(testdata: Path) -> Path:
    return testdata / PDQ_REF


@pytest.fixture
def photo_jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "astronaut.jpg"
    path.write_bytes(encode(skimage_photo("astronaut", (800, 600)), "JPEG", quality=90))
    return path
