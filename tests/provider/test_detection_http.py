"""Detection and review over real HTTP on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import os

from PIL import Image
from tests.provider.conftest import Provider, drawn_image, post

from childshield.api.testing import bearer


def _jpeg_copy(provider: Provider) -> bytes:
    out = io.BytesIO()
    Image.open(provider.image).convert("RGB").resize((200, 150)).save(out, "JPEG", quality=60)
    return out.getvalue()


def test_a_match_opens_one_case_and_the_reviewer_confirms_it(provider: Provider) -> None:
    copy = provider.tmp / "copy.jpg"
    copy.write_bytes(_jpeg_copy(provider))
    r = provider.upload(copy, metadata={"external_id": "upload-1", "user": {"id": "u1"}})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["matches"][0]["bank"] == "test-indicators"
    assert answer["case"]["created"] is True
    case_id = answer["case"]["id"]
    # the same item again: same case, not a second one
    again = provider.upload(copy, metadata={"external_id": "upload-1"})
    assert again.json()["case"] == {**answer["case"], "created": False,
                                    "updated_at": again.json()["case"]["updated_at"]}
    # an unrelated image matches nothing and opens nothing
    other = drawn_image(99, provider.tmp / "other.png")
    assert provider.upload(other).json() == {**provider.upload(other).json(), "case": None}

    rita = provider.login("rita@acme.example", "a-long-test-password")
    got = post(rita, "/provider/v1/review/next")
    assert got.status_code == 200 and got.json()["id"] == case_id
    hit = got.json()["hits"][0]
    assert hit["detector"] == "test-indicators" and hit["distance"] <= 31
    content = got.json()["content"][0]
    picture = rita.get(f"/provider/v1/cases/{case_id}/content/{content['id']}")
    assert picture.status_code == 200 and picture.content == copy.read_bytes()
    # the supervisor does not hold the case: no content
    sam = provider.login("sam@acme.example", "a-long-test-password")
    assert sam.get(f"/provider/v1/cases/{case_id}/content/{content['id']}").status_code == 403
    done = post(rita, f"/provider/v1/cases/{case_id}/decisions",
                {"decision": "confirm", "abuse_type": "known"})
    assert done.status_code == 201, done.text
    view = provider.http.get(provider.url + f"/provider/v1/cases/{case_id}",
                             headers=bearer(provider.key)).json()
    assert view["status"] == "confirmed"
    assert view["decisions"][0]["reviewer"] == "rita@acme.example"
    assert post(rita, "/provider/v1/review/next").status_code == 204


def test_tenant_isolation_and_roles(provider: Provider) -> None:
    copy = provider.tmp / "copy.jpg"
    copy.write_bytes(_jpeg_copy(provider))
    case_id = provider.upload(copy).json()["case"]["id"]
    # tenant B asking for tenant A's case: 404
    r = provider.http.get(provider.url + f"/provider/v1/cases/{case_id}",
                          headers=bearer(provider.other_key))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    gil = provider.login("gil@globex.example", "a-long-test-password")
    assert post(gil, f"/provider/v1/cases/{case_id}/claim").status_code == 404
    assert post(gil, "/provider/v1/review/next").status_code == 204
    # no credentials: 401; a reviewer cannot upload, a key cannot review: 403
    assert provider.http.get(provider.url + "/provider/v1/cases").status_code == 401
    rita = provider.login("rita@acme.example", "a-long-test-password")
    r = rita.post("/provider/v1/detection/signals", json={"md5": "0" * 32},
                  headers={"Idempotency-Key": "x", "X-CSRF-Token": "bad"})
    assert r.status_code == 403
    r = provider.http.post(provider.url + "/provider/v1/review/next", json={},
                           headers={**bearer(provider.key), "Idempotency-Key": "k"})
    assert r.status_code == 403
    assert post(rita, "/provider/v1/review/stats").status_code in (403, 405)
    assert rita.get("/provider/v1/review/stats").status_code == 403


def test_idempotent_upload_and_signals(provider: Provider) -> None:
    copy = provider.tmp / "copy.jpg"
    copy.write_bytes(_jpeg_copy(provider))
    first = provider.upload(copy, idem="same-key")
    second = provider.upload(copy, idem="same-key")
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json()
    # a different request with the same key
    assert provider.upload(provider.image, idem="same-key").status_code == 422
    pdq = first.json()["signals"]["pdq"]
    headers = {**bearer(provider.key), "Idempotency-Key": os.urandom(8).hex()}
    r = provider.http.post(provider.url + "/provider/v1/detection/signals",
                           json={"pdq": pdq, "quality": 100}, headers=headers)
    assert r.status_code == 200 and r.json()["matches"][0]["signal"] == "pdq"
    assert r.json()["case"]["id"] != first.json()["case"]["id"]  # a hash-only item
    # the read-only lookup finds the same indicator and opens nothing
    looked = provider.http.get(provider.url + "/provider/v1/detection/lookup",
                               params={"pdq": pdq, "quality": 100}, headers=bearer(provider.key))
    assert looked.status_code == 200 and "case" not in looked.json()
    assert looked.json()["matches"][0]["indicator"] == r.json()["matches"][0]["indicator"]
    r = provider.http.post(provider.url + "/provider/v1/detection/signals", json={},
                           headers={**headers, "Idempotency-Key": "empty"})
    assert r.status_code == 400 and "at least one signal" in r.json()["detail"]
    r = provider.http.post(provider.url + "/provider/v1/detection/signals",
                           json={"pdq": "zz" * 32}, headers={**headers, "Idempotency-Key": "bad"})
    assert r.status_code == 422


def test_bad_uploads_are_4xx_problems(provider: Provider) -> None:
    cases = {
        "empty.png": b"",
        "junk.bin": os.urandom(2000),
        "truncated.png": provider.image.read_bytes()[:200],
    }
    for name, data in cases.items():
        path = provider.tmp / name
        path.write_bytes(data)
        r = provider.upload(path)
        assert r.status_code in (413, 415, 422), (name, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # a decompression bomb: a tiny PNG claiming 30000 x 30000 pixels
    bomb = provider.tmp / "bomb.png"
    Image.new("L", (30000, 30000)).save(bomb, optimize=True)
    r = provider.upload(bomb)
    assert r.status_code == 413, r.text
    assert "decompression bomb" in r.json()["detail"]
