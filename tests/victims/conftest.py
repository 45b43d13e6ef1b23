"""Fixtures for the victims' tests: a headless Debian chromium through Playwright."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from victims_harness import ARGS, CHROMIUM


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make chromium` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


# The centre's live-server fixtures (make_centre, centre, fake_recipient) and its harness.
_CENTRE_TESTS = Path(__file__).resolve().parents[1] / "centre"
if str(_CENTRE_TESTS) not in sys.path:
    sys.path.insert(0, str(_CENTRE_TESTS))
_spec = importlib.util.spec_from_file_location("centre_fixtures", _CENTRE_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_centre_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_centre_fixtures)
make_centre = _centre_fixtures.make_centre
centre = _centre_fixtures.centre
fake_recipient = _centre_fixtures.fake_recipient
