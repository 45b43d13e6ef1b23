"""PDQ conformance over every reference image in ../shared/testdata/pdq-reference.

The upstream acceptance rule (pdq/README.md): on images of quality >= 80 a new
implementation lands within Hamming distance 10 of the C++ reference hasher. Hashes that
python-threatexchange lists for its own hasher (pdqhash + Pillow) are matched exactly, except
one whose difference is a bug on their side, explained and proven in
``test_pytx_i16_difference_is_their_clipping``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image
from sigdata import encode, skimage_photo

from childshield.signals import _pdq_native, hash_file
from childshield.signals.media import dct_scale, decode_for_pdq, load_image_for_pdq, open_image
from childshield.signals.pdq import bits_to_hex, pdq_from_array, pdq_from_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def rows(pdq_ref: Path) -> list[dict[str, str]]:
    with open(pdq_ref / "expected" / "pdq_expected_hashes.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def reference_images(pdq_ref: Path) -> list[Path]:
    return sorted(p for p in pdq_ref.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


@pytest.fixture(scope="module")
def ours(pdq_ref: Path) -> dict[str, dict[str, object]]:
    """Our hash record of every reference image, keyed by path relative to pdq-reference."""
    return {str(p.relative_to(pdq_ref)): hash_file(p) for p in reference_images(pdq_ref)}


def test_every_reference_image_hashes(ours: dict[str, dict[str, object]]) -> None:
    assert len(ours) == 55, "the reference folder holds 55 images (see its README)"
    failed = {k: v["error"] for k, v in ours.items() if "error" in v}
    assert not failed
    for record in ours.values():
        assert len(str(record["pdq"])) == 64
        assert 0 <= int(str(record["quality"])) <= 100


def test_within_10_of_cpp_reference_on_quality_80(
    pdq_ref: Path, ours: dict[str, dict[str, object]]
) -> None:
    cpp = [r for r in rows(pdq_ref) if r["implementation"].startswith("cpp-reference")]
    checked = []
    for row in cpp:
        record = ours[row["image"]]
        if int(str(record["quality"])) >= 80:
            checked.append((row["image"], distance(str(record["pdq"]), row["pdq_hex"])))
    assert len(checked) >= 18, "almost every C++ reference image has quality >= 80"
    too_far = [(image, d) for image, d in checked if d > 10]
    assert not too_far, f"outside the upstream rule: {too_far}"


def test_java_port_readme_hashes(pdq_ref: Path, ours: dict[str, dict[str, object]]) -> None:
    """The Java README's hashes equal the C++ ones; its unit test (ImageIO decode) is exact."""
    for row in rows(pdq_ref):
        if row["implementation"].startswith("java port pdq-photo-hasher-tool"):
            assert distance(str(ours[row["image"]]["pdq"]), row["pdq_hex"]) <= 10
        elif "javax ImageIO" in row["implementation"]:
            assert ours[row["image"]]["pdq"] == row["pdq_hex"]


def _pytx_rows(pdq_ref: Path) -> list[dict[str, str]]:
    return [
        r for r in rows(pdq_ref)
        if r["implementation"].startswith("python-threatexchange")
        and "rotations" not in r["implementation"]
        and "unletterbox" not in r["implementation"]
    ]


def test_pytx_hashes_matched_exactly(pdq_ref: Path, ours: dict[str, dict[str, object]]) -> None:
    checked = 0
    for row in _pytx_rows(pdq_ref):
        if row["image"].endswith("I16.png"):
            continue  # see test_pytx_i16_difference_is_their_clipping
        record = ours[row["image"]]
        assert record["pdq"] == row["pdq_hex"], row["image"]
        if row["quality"]:
            assert record["quality"] == int(row["quality"])
        checked += 1
    # rgb.jpeg, LA.png, random-image, sample-b and the 12 bridge-mods examples
    assert checked >= 16


def test_pytx_i16_difference_is_their_clipping(pdq_ref: Path) -> None:
    """python-threatexchange converts 16-bit grey (I;16) to RGB with Pillow, which clips every
    value above 255 to 255: 99.6% of this image becomes white, hence their quality 36. We
    scale 16 bits to 8 (value / 257) like ImageMagick does for the C++ tool, and get the real
    picture at quality 100. Reproducing their clipping with our hasher gives their hash."""
    path = pdq_ref / "pytx-test-resources" / "I16.png"
    row = next(r for r in rows(pdq_ref) if r["image"].endswith("I16.png"))
    record = hash_file(path)
    assert record["quality"] == 100 and int(row["quality"]) == 36
    assert distance(str(record["pdq"]), row["pdq_hex"]) > 31
    clipped = np.asarray(Image.open(path).convert("RGB"))
    assert (clipped == 255).mean() > 0.99
    assert pdq_from_array(clipped) == (row["pdq_hex"], 36)


def test_pytx_dihedral_hashes(pdq_ref: Path) -> None:
    """pytx's rotation hashes of LA.png, from our hasher on transposed pixels. Their FLIPX is
    a mirror about the x axis (top <-> bottom), FLIPY about the y axis."""
    transpose = Image.Transpose
    ops = {"ORIGINAL": None, "ROTATE90": transpose.ROTATE_90,
           "ROTATE180": transpose.ROTATE_180, "ROTATE270": transpose.ROTATE_270,
           "FLIPX": transpose.FLIP_TOP_BOTTOM, "FLIPY": transpose.FLIP_LEFT_RIGHT,
           "FLIPPLUS1": transpose.TRANSPOSE, "FLIPMINUS1": transpose.TRANSVERSE}
    image = Image.open(pdq_ref / "pytx-test-resources" / "LA.png")
    expected = {r["note"].split()[-1]: r["pdq_hex"] for r in rows(pdq_ref)
                if r["note"].startswith("dihedral variant")}
    assert set(expected) == set(ops)
    for name, op in ops.items():
        variant = image if op is None else image.transpose(op)
        assert pdq_from_image(variant)[0] == expected[name], name


def test_other_ports_within_their_spread(pdq_ref: Path, ours: dict[str, dict[str, object]]) -> None:
    """Pure-Python, WASM and PHP ports decode differently; upstream tests allow <= 16 and the
    spread between ports on these files is up to 12 bits."""
    others = [r for r in rows(pdq_ref) if r["implementation"].startswith(
        ("pure-python", "wasm", "php"))]
    assert len(others) >= 40
    for row in others:
        record = ours[row["image"]]
        if int(str(record["quality"])) >= 80:
            assert distance(str(record["pdq"]), row["pdq_hex"]) <= 16, row


def test_every_pillow_mode_hashes_like_the_original(
    pdq_ref: Path, ours: dict[str, dict[str, object]]
) -> None:
    """original.jpg re-saved in 13 Pillow modes. python-threatexchange feeds CMYK channels as
    RGB (254 bits off: an inverted image), palette indices as grey (P: 38 bits off) and fails
    on mode 1; we convert every mode properly, so all land near the original."""
    original = str(ours["data/misc-images/modes/original.jpg"]["pdq"])
    modes = [k for k in ours if k.startswith("data/misc-images/modes/")]
    assert len(modes) == 14
    for key in modes:
        assert distance(str(ours[key]["pdq"]), original) <= 10, key


def test_exif_orientation_is_not_applied(pdq_ref: Path) -> None:
    """The C++ reference hashes pixels as stored, ignoring the EXIF orientation tag: the
    rotated-upright hash of exif-rotn-6 is ~128 bits from the reference, the stored one is
    near it. We follow the reference (indicator lists are hashed that way)."""
    cpp = {r["image"]: r["pdq_hex"] for r in rows(pdq_ref)
           if r["implementation"].startswith("cpp-reference")}
    for n in (3, 6, 8):
        key = f"data/reg-test-input/exif-rotn/exif-rotn-{n}.jpg"
        image = Image.open(pdq_ref / key)
        assert image.getexif().get(0x0112) == n
        upright = pdq_from_image(_upright(pdq_ref / key))[0]
        stored = str(hash_file(pdq_ref / key)["pdq"])
        assert distance(stored, cpp[key]) <= 10
        assert distance(upright, cpp[key]) > 64


def _upright(path: Path) -> Image.Image:
    from PIL import ImageOps

    image = Image.open(path)
    image.draft("RGB", (image.width // 2, image.height // 2))
    return ImageOps.exif_transpose(image.convert("RGB"))


def test_native_call_is_bit_identical_to_pdqhash_compute(pdq_ref: Path) -> None:
    """Our direct C++ calls give exactly pdqhash.compute's hash and quality."""
    assert _pdq_native.AVAILABLE
    small = [p for p in reference_images(pdq_ref) if p.stat().st_size < 1_500_000]
    assert len(small) >= 40
    for path in small[::2]:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        vector, quality = pdqhash.compute(rgb)
        assert pdq_from_array(rgb) == (bits_to_hex(vector), quality), path.name
        grey = np.asarray(Image.open(path).convert("L"))
        vector, quality = pdqhash.compute(np.stack([grey] * 3, axis=2))
        assert pdq_from_array(grey) == (bits_to_hex(vector), quality), path.name


def test_reference_photos_take_the_reduced_decode(pdq_ref: Path) -> None:
    """The 4032x3024 EXIF photos are decoded at half size (and still pass the rule above)."""
    path = pdq_ref / "data/reg-test-input/exif-rotn/exif-rotn-1.jpg"
    assert dct_scale(4032, 3024) == 2
    assert load_image_for_pdq(path).size == (2016, 1512)


@pytest.mark.parametrize(
    ("name", "size", "fmt"),
    [
        ("astronaut", (4000, 3000), "JPEG"),
        ("coffee", (3000, 4000), "JPEG"),
        ("brick", (4000, 3000), "JPEG"),
        ("grass", (6000, 4000), "JPEG"),
        ("camera", (4000, 3000), "PNG"),
        ("hubble_deep_field", (2400, 2400), "JPEG"),
    ],
)
def test_reduced_decode_stays_within_the_rule(name: str, size: tuple[int, int], fmt: str) -> None:
    """Reduced-size decoding lands within 10 bits of hashing the full-resolution decode (what
    the C++ tool and python-threatexchange do), textured images (brick, grass) included."""
    data = encode(skimage_photo(name, size), fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    full_hash, full_quality = pdq_from_array(np.asarray(Image.open(_bytes(data)).convert("RGB")))
    reduced = decode_for_pdq(open_image(_bytes(data)))
    assert max(reduced.size) < max(size), "the reduced path must actually be taken"
    assert min(reduced.size) >= 1000
    ours_hash, quality = pdq_from_image(reduced)
    assert full_quality >= 80 and quality >= 80
    assert distance(ours_hash, full_hash) <= 10


def _bytes(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


@pytest.mark.parametrize("shape", [(4, 9), (5, 5), (6, 1000), (1000, 7), (127, 129), (64, 64),
                                   (1080, 1920), (3001, 2999)])
def test_fast_downscale_equals_the_cpp_filter_on_odd_shapes(shape: tuple[int, int]) -> None:
    """Our separable 64x64 downscale (only the sampled points) against the C++ full Jarosz
    filter, on random-noise luma of awkward sizes: the same hash and quality."""
    rng = np.random.default_rng(shape[0] * 7919 + shape[1])
    grey = rng.integers(0, 256, size=shape, dtype=np.uint8)
    vector, quality = pdqhash.compute(np.stack([grey] * 3, axis=2))
    assert pdq_from_array(grey) == (bits_to_hex(vector), quality)
