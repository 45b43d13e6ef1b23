"""python-threatexchange's signal file format, checked against threatexchange itself."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from childshield.errors import ImportFormatError
from childshield.exchange.indicator_record import IndicatorRecord
from childshield.exchange.pytx_format import read_pytx, write_pytx

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "cab08b36195edb1a1231d2d09fa450e0"
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

threatexchange = pytest.importorskip("threatexchange")


def _pytx_read(path: Path) -> set[tuple[str, str]]:
    """What python-threatexchange's local-file exchange reads from ``path``."""
    from threatexchange.exchanges.impl.file_api import (
        FileCollaborationConfig,
        LocalFileSignalExchangeAPI,
    )

    api = LocalFileSignalExchangeAPI(FileCollaborationConfig(name="t", filename=str(path)))
    keys: set[tuple[str, str]] = set()
    for delta in api.fetch_iter([], None):
        keys.update(delta.updates)
    return keys


def _pytx_hash_lines(image: Path) -> str:
    """What ``threatexchange hash photo|video FILE`` prints: ``print(hasher.get_name(), hash)``
    for each hasher (its file exchange's own writer, report_opinion, fails on open mode 'wta'
    in 1.2.x, so the hash command is the reference)."""
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal

    out = io.StringIO()
    for hasher in (PdqSignal, VideoMD5Signal):
        hash_str = hasher.hash_from_file(image)
        if hash_str:
            print(hasher.get_name(), hash_str, file=out)
    return out.getvalue()


def test_reads_what_threatexchange_writes(tmp_path: Path) -> None:
    import hashlib

    import numpy as np
    from PIL import Image

    image = tmp_path / "blocks.png"
    blocks = np.random.default_rng(7).integers(0, 256, (8, 8), dtype=np.uint8)
    Image.fromarray(blocks).resize((128, 128), Image.Resampling.NEAREST).save(image)
    text = _pytx_hash_lines(image)
    records = read_pytx(text.splitlines())
    assert [(r.signal, r.media) for r in records] == [("pdq", "image"), ("md5", "video")]
    assert records[1].value == hashlib.md5(image.read_bytes()).hexdigest()
    assert len(records[0].value) == 64


def test_threatexchange_reads_what_we_write(tmp_path: Path) -> None:
    records = [
        IndicatorRecord("pdq", PDQ, "image"),
        IndicatorRecord("md5", MD5, "video"),
        IndicatorRecord("sha256", SHA, "video"),
        IndicatorRecord("pdq", "0" * 64, "image", status="withdrawn"),
    ]
    path = tmp_path / "out.txt"
    with path.open("w") as out:
        written, skipped = write_pytx(records, out)
    assert (written, skipped) == (3, 1)
    assert _pytx_read(path) == {("pdq", PDQ), ("video_md5", MD5), ("video_sha256", SHA)}


def test_round_trip_and_normalisation() -> None:
    text = f"# a comment\n\n  PDQ {PDQ.upper()}  \nmd5 {MD5}\nsha256 {SHA}\n"
    records = read_pytx(io.StringIO(text))
    assert [(r.signal, r.value, r.media) for r in records] == [
        ("pdq", PDQ, "image"),
        ("md5", MD5, None),
        ("sha256", SHA, None),
    ]
    out = io.StringIO()
    write_pytx(records, out)
    assert out.getvalue() == f"pdq {PDQ}\nmd5 {MD5}\nsha256 {SHA}\n"


def test_bare_hashes_with_a_default_type() -> None:
    records = read_pytx([PDQ + "\n"], default_type="pdq")
    assert records[0].signal == "pdq"
    with pytest.raises(ImportFormatError, match="line 1: expected '<signal type> <hash>'"):
        read_pytx([PDQ + "\n"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"pdq {PDQ[:-1]}", "pdq value must be 64 hex digits, got 63 characters"),
        (f"pdq {PDQ[:-1]}g", "pdq value must be hex digits, found 'g'"),
        (f"md5 {PDQ}", "md5 value must be 32 hex digits, got 64"),
        (f"tmk {PDQ}", "unsupported signal type 'tmk'"),
        (f"pdq {PDQ} extra", "found 3 words"),
    ],
)
def test_malformed_line_names_line_and_problem(line: str, message: str) -> None:
    with pytest.raises(ImportFormatError) as info:
        read_pytx([f"pdq {PDQ}\n", "\n", line + "\n"])
    assert info.value.line == 3
    assert str(info.value).startswith("line 3: ")
    assert message in str(info.value)


def test_every_bad_line_is_reported() -> None:
    lines = [f"pdq {PDQ}", "pdq 12", f"md5 {MD5}", "pdq zz", "nonsense"]
    with pytest.raises(ImportFormatError) as info:
        read_pytx(lines)
    error = info.value
    assert error.line == 2
    assert [e["line"] for e in error.extra["errors"]] == [2, 4, 5]  # type: ignore[union-attr]
    assert "3 malformed lines, nothing imported" in str(error)
