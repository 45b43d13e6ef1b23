"""The public victims' page in Debian's chromium: files are hashed on the device, never sent.

Every request the page makes is recorded; no request body may carry any part of a chosen
file, and the hashes it submits must equal what the Python signals compute for the same
files (SHA-256 exactly, PDQ within the upstream rule of 10 bits at quality >= 80).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from centre_harness import Centre
from PIL import Image
from victims_harness import ARTIFACTS, distance

from childshield.signals.pdq import pdq_from_array, pdq_from_file

pytestmark = pytest.mark.browser

PATTERNS = 3  # seconds of video, one drawn pattern each


def _frame(second: int, size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """A benign drawn frame: a different gradient and rectangle each second."""
    h, w = size
    y, x = np.mgrid[0:h, 0:w]
    base = ((x * (second + 1) * 3 + y * (3 - second) * 2) % 256).astype(np.uint8)
    img = np.stack([base, np.roll(base, 40 * second, axis=1), 255 - base], axis=-1)
    img[40 + 30 * second:120 + 30 * second, 60:160 + 40 * second] = (250, 250, 30 * second)
    return img


def _video(path: Path) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"crf": "4", "b": "4M"}
        for second in range(PATTERNS):
            for _ in range(10):
                frame = av.VideoFrame.from_ndarray(_frame(second), format="rgb24")
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _decoded_frames(path: Path) -> dict[int, str]:
    """Python's PDQ of the first decoded frame of each second."""
    import av

    found: dict[int, str] = {}
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            second = int(float(frame.time or 0.0) + 1e-6)
            if second not in found:
                found[second] = pdq_from_array(frame.to_ndarray(format="rgb24"))[0]
    return found


def test_files_are_hashed_on_the_device_and_never_sent(
        make_centre: Callable[..., Centre], browser: Any, tmp_path: Path,
        testdata: Path) -> None:
    from skimage import data

    centre = make_centre()
    photo = tmp_path / "photo.png"
    Image.fromarray(data.astronaut()).save(photo)
    jpeg = tmp_path / "bridge.jpg"  # a temporary copy of a benign reference photo
    shutil.copy(testdata / "pdq-reference/data/reg-test-input/dih/bridge-1-original.jpg", jpeg)
    video = tmp_path / "drawn.webm"
    _video(video)
    files = [photo, jpeg, video]

    # the centre already holds a report of the photo (same PDQ), so the answer finds it
    photo_pdq, _ = pdq_from_file(photo)
    report = centre.report(content_bytes=b"stand-in for the photo",
                           removal={"status": "not_removed"})
    report["content"][0]["signals"].append({"signal": "pdq", "value": photo_pdq, "quality": 100})
    assert centre.submit(centre.sign(report)).status_code == 201

    context = browser.new_context()
    page = context.new_page()
    bodies: list[tuple[str, bytes]] = []
    page.on("request", lambda r: bodies.append((r.url, r.post_data_buffer or b"")))
    page.goto(centre.url + "/centre/victims/")
    page.wait_for_selector("body[data-victims-ready=true]")
    assert page.get_by_test_id("submit").is_disabled()
    page.get_by_test_id("files").set_input_files([str(f) for f in files])
    page.wait_for_selector("[data-testid=progress][data-done=true]", timeout=120_000)
    assert not [b for _, b in bodies if b]  # hashing sent nothing at all
    code = page.get_by_test_id("reference").inner_text()
    page.get_by_test_id("email").fill("person@example.org")
    page.get_by_test_id("submit").click()
    page.wait_for_selector("[data-testid=submit-status][data-done=true]", timeout=30_000)
    summary = page.get_by_test_id("answer-summary").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "victims-page.png"), full_page=True)
    assert "found 1 report" in summary

    # no request body carries any slice of any file
    sent = [b for _, b in bodies if b]
    assert len(sent) == 1
    for f in files:
        content = f.read_bytes()
        for start in range(0, len(content) - 32, max(1, len(content) // 50)):
            piece = content[start:start + 32]
            assert all(piece not in body for body in sent), f"{f.name} bytes were sent"
    submitted = json.loads(sent[0])
    assert set(submitted) == {"hashes", "reference_code", "email"}
    assert submitted["reference_code"] == code

    # the submitted hashes are what Python computes for the same files
    hashes = submitted["hashes"]
    shas = {h["value"] for h in hashes if h["signal"] == "sha256"}
    assert shas == {hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    pdqs = [h for h in hashes if h["signal"] == "pdq"]
    assert len(pdqs) == 2 + PATTERNS
    for image in (photo, jpeg):
        want, quality = pdq_from_file(image)
        assert quality >= 80
        nearest = min(distance(h["value"], want) for h in pdqs)
        print(f"\n{image.name}: browser vs Python PDQ distance {nearest}")
        assert nearest <= 10, image.name
    frame_hashes = [h["value"] for h in pdqs[2:]]
    for second, want in _decoded_frames(video).items():
        print(f"video second {second}: distance {distance(frame_hashes[second], want)}")
        assert distance(frame_hashes[second], want) <= 10, second

    # the answer by reference code, on the page
    page.get_by_test_id("lookup-code").fill(code)
    page.get_by_test_id("lookup").click()
    page.wait_for_selector("[data-testid=answer] table")
    assert "demo-host" in page.get_by_test_id("answer").inner_text() or \
        "Demo" in page.get_by_test_id("answer").inner_text()
    context.close()
