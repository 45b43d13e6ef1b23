"""One detector per server process: the matcher and its PDQ index are built once and
shared by every request (never reloaded per request); a new indicator is added to the
loaded index incrementally."""

from __future__ import annotations

from childshield.api.testing import bearer
from childshield.matching import BankService
from childshield.matching.files import add_files

from .conftest import BANK, Provider, drawn_image


def _lookup(provider: Provider, pdq: str) -> list[int]:
    r = provider.http.get(provider.url + "/provider/v1/detection/lookup",
                          params={"pdq": pdq, "quality": 100}, headers=bearer(provider.key))
    assert r.status_code == 200, r.text
    return [m["indicator"] for m in r.json()["matches"]]


def test_requests_share_one_detector_and_index(provider: Provider) -> None:
    from childshield.signals.hashing import hash_file

    state = provider.server.app.state
    first = hash_file(provider.image)
    assert len(_lookup(provider, first["pdq"])) == 1
    detector = state.provider_detector
    index = detector.matcher.pdq_index.index
    assert index is not None

    newcomer = drawn_image(2, provider.tmp / "newcomer.png")
    [added] = list(add_files(BankService(provider.server.database), BANK, [newcomer],
                             submitted_by="test"))
    second = hash_file(newcomer)
    for _ in range(3):
        found = _lookup(provider, second["pdq"])
        assert found and set(found) <= set(added["indicators"])  # seen at once
    assert state.provider_detector is detector  # the same detector and matcher
    assert detector.matcher.pdq_index.index is index  # caught up in place, not reloaded
