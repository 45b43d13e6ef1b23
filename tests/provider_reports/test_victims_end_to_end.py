"""Victims (Arts. 20-21) across two server processes and two databases, over loopback HTTP.

A provider reports an item (its PDQ in the report); a person submits the hashes their
browser computed for their own copy (the JSON the victims' page posts; the copy is resized
and brighter, so only the near-PDQ search finds it); the answer names the provider; the
centre's analyst sends a removal notice; the provider pulls it, sees the case it came from,
answers ``removed`` through its outbox, and the person's answer then says removed.

The picture is scikit-image's astronaut sample (benign; SAFETY.md).
"""

from __future__ import annotations

import json
import uuid

import httpx
import numpy as np
import pytest
from PIL import Image

from childshield.api.testing import ServerProcess, add_tenant_with_key, bearer
from childshield.provider.delivery import Worker
from childshield.provider.victim_notices import pull_notices
from childshield.signals.pdq import pdq_from_array
from childshield.store.db import Database

from .harness import CENTRE_KEY_ENV, Keys, Provider, register_at_centre

CODE = "e2e-ref-" + "0a1b2c3d4e5f6a7b8c9d"


def _w(key: str) -> dict[str, str]:
    return {**bearer(key), "Idempotency-Key": str(uuid.uuid4())}


@pytest.mark.timeout(300)
def test_a_victims_hashes_find_the_report_and_the_notice_reaches_the_provider(
    keys: Keys, database: Database, db_url: str, centre_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from skimage import data

    picture = np.asarray(data.astronaut())
    reported, quality = pdq_from_array(picture)
    copy = np.asarray(Image.fromarray(picture).resize((400, 400))).astype(int) + 12
    mine, my_quality = pdq_from_array(np.clip(copy, 0, 255).astype(np.uint8))
    assert mine != reported

    centre = ServerProcess("centre", str(centre_db.engine.url), env=keys.centre_env())
    provider_srv = ServerProcess("provider", db_url)
    try:
        monkeypatch.setenv(CENTRE_KEY_ENV, register_at_centre(centre_db, keys))
        analyst = add_tenant_with_key(centre_db, "eu-centre", "centre", ["analyst"])
        provider = Provider(database, centre.url)
        integration = add_tenant_with_key(database, "acme", "provider", ["integration"])
        p_admin = add_tenant_with_key(database, "acme", "provider", ["reviewer", "admin"])
        case_id = provider.confirmed_case("e2e-victim", signals={
            "md5": "2" * 32, "sha256": "3" * 64, "pdq": reported, "quality": quality})
        assert Worker(database).run_once().delivered == 1

        with httpx.Client(timeout=60) as http:
            c, p = centre.url + "/centre/v1", provider_srv.url + "/provider/v1"
            report_id = http.get(f"{p}/cases/{case_id}/report",
                                 headers=bearer(p_admin)).json()["report_id"]
            # what the victims' page posts: hashes only, a reference code, no file bytes
            r = http.post(f"{c}/victims/requests", headers={"Idempotency-Key": "page-1"},
                          json={"hashes": [{"signal": "pdq", "value": mine,
                                            "quality": my_quality}],
                                "reference_code": CODE})
            assert r.status_code == 201, r.text
            [match] = r.json()["matches"]
            assert (match["provider_id"], match["signal"]) == ("demo-host", "pdq")
            assert 0 < match["distance"] <= 31 and match["removed"] is False
            request_id = r.json()["request_id"]

            # Art. 21: the analyst sends the notice; the provider pulls it
            r = http.post(f"{c}/victims/requests/{request_id}/notices", json={},
                          headers=_w(analyst))
            assert r.status_code == 201 and len(r.json()["created"]) == 1, r.text
            assert pull_notices(database) == {"received": 1, "errors": []}
            assert pull_notices(database)["received"] == 0  # pulled once
            listed = http.get(f"{p}/victim-notices", params={"status": "pending"},
                              headers=bearer(integration))
            assert listed.status_code == 200, listed.text
            [notice] = listed.json()["items"]
            assert (notice["report_id"], notice["case_id"]) == (report_id, case_id)
            assert mine not in json.dumps(notice) and reported not in json.dumps(notice)

            # the provider removes the item and answers through its outbox
            r = http.post(f"{p}/victim-notices/{notice['notice_id']}/answer",
                          json={"status": "removed"}, headers=_w(integration))
            assert r.status_code == 200 and r.json()["status"] == "removed", r.text
            again = http.post(f"{p}/victim-notices/{notice['notice_id']}/answer",
                              json={"status": "removed"}, headers=_w(integration))
            assert again.status_code == 409
            assert Worker(database).run_once().delivered == 1
            answer = http.get(f"{c}/victims/requests/mine",
                              headers={"X-Reference-Code": CODE}).json()
            assert [m["removed"] for m in answer["matches"]] == [True]
            assert answer["matches"][0]["notice"]["status"] == "removed"
    finally:
        provider_srv.stop()
        centre.stop()
