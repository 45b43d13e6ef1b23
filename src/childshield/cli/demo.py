"""``childshield demo``: build a bank from benign images, match edited copies, explain.

Everything is benign (SAFETY.md): scikit-image's sample photos when installed (coffee, a
cat, a rocket, a camera man) and images drawn here (shapes on gradients, text). The demo uses
its own SQLite database under ``<data_dir>/demo/`` and rebuilds it on every run, so a second
run prints the same thing (with ``--db`` it adds to that database's ``demo-bank`` instead;
adding the same images again changes nothing).
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from childshield.cli._output import JsonOption, emit, out_console

BANK = "demo-bank"
SAMPLE_PHOTOS = ("coffee", "chelsea", "rocket", "camera")


@dataclass(frozen=True)
class DemoFile:
    path: Path
    edit: str
    original: str | None  # the bank image it was made from, None for unrelated images


def _drawn(seed: int, size: tuple[int, int] = (480, 360)) -> Any:
    """Shapes on a coloured gradient, with a line of text."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    width, height = size
    image = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize(size)
    tint = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    image = Image.blend(image.convert("RGB"), tint, 0.45)
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x0, y0 = rng.randrange(width - 60), rng.randrange(height - 60)
        box = (x0, y0, x0 + rng.randrange(40, width // 2), y0 + rng.randrange(40, height // 2))
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice((draw.ellipse, draw.rectangle))
        shape(box, fill=colour, outline=(0, 0, 0), width=3)
    draw.text((20, height - 40), f"childshield demo image {seed}", fill=(255, 255, 255))
    return image


def _sample_photos() -> list[tuple[str, Any]]:
    """scikit-image's bundled sample photos, if scikit-image is installed."""
    try:
        import skimage.data
        from PIL import Image
    except ImportError:
        return []
    photos = []
    for name in SAMPLE_PHOTOS:
        try:
            photos.append((name, Image.fromarray(getattr(skimage.data, name)()).convert("RGB")))
        except Exception:  # a sample that would need a download
            continue
    return photos


def _edits(image: Any) -> list[tuple[str, Any, dict[str, Any]]]:
    """(label, edited image, save options) for the copies a re-upload typically is."""
    from PIL import ImageOps

    w, h = image.size
    dx, dy = int(w * 0.08), int(h * 0.08)
    return [
        ("resized 50%", image.resize((w // 2, h // 2)), {}),
        ("JPEG q=35", image, {"quality": 35}),
        ("cropped 8%", image.crop((dx, dy, w - dx, h - dy)), {}),
        ("mirrored", ImageOps.mirror(image), {}),
    ]


def build_files(root: Path) -> tuple[list[tuple[str, Path]], list[DemoFile]]:
    """Write the bank's originals and the folder to scan; returns both lists."""
    originals_dir, scan_dir = root / "originals", root / "scan-me"
    originals_dir.mkdir(parents=True)
    scan_dir.mkdir()
    photos = _sample_photos()
    drawn = [(f"drawn-{seed}", _drawn(seed)) for seed in (1, 2)]
    bank_images = (photos[:3] + drawn)[:4]
    originals: list[tuple[str, Path]] = []
    scan: list[DemoFile] = []
    for name, image in bank_images:
        path = originals_dir / f"{name}.png"
        image.save(path)
        originals.append((name, path))
        for number, (label, copy, options) in enumerate(_edits(image)):
            target = scan_dir / f"{name}-{number + 1}.jpg"
            copy.save(target, "JPEG", **({"quality": 90} | options))
            scan.append(DemoFile(target, label, name))
    unrelated = photos[3:] + [(f"drawn-{seed}", _drawn(seed)) for seed in (3, 4)]
    for name, image in unrelated:
        target = scan_dir / f"other-{name}.jpg"
        image.save(target, "JPEG", quality=90)
        scan.append(DemoFile(target, "unrelated", None))
    return originals, scan


def demo(
    db: str | None = typer.Option(
        None, "--db", help="Use this database instead of a fresh one under <data_dir>/demo/."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Build a demo bank from benign images, match a folder of edited copies and unrelated
    images against it, and print what matched. Takes a few seconds; safe to re-run."""
    from childshield.matching import BankService, Matcher
    from childshield.matching.files import add_files, match_files
    from childshield.settings import get_settings
    from childshield.store import open_database

    started = time.perf_counter()
    root = get_settings().data_dir / "demo"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    url = db or f"sqlite:///{root / 'demo.db'}"
    database = open_database(url)
    service = BankService(database)
    service.ensure(BANK)  # new in the fresh demo database; reused (adds are idempotent) with --db
    originals, scan = build_files(root)
    added = list(add_files(service, BANK, [p for _, p in originals], submitted_by="demo"))
    matcher = Matcher(database, index_dir=root / "index")
    results = list(match_files(matcher, [f.path for f in scan], BANK))
    elapsed = time.perf_counter() - started
    rows: list[dict[str, Any]] = []
    for demo_file, result in zip(scan, results, strict=True):
        matches = result.get("matches", [])
        pdq = [m for m in matches if m["signal"] == "pdq"]
        rows.append(
            {
                "path": str(demo_file.path),
                "edit": demo_file.edit,
                "original": demo_file.original,
                "expected_match": demo_file.original is not None,
                "matched": bool(matches),
                "distance": min((m["distance"] for m in pdq), default=None),
                "source": Path(matches[0]["source"]).name if matches else None,
                "error": result.get("error"),
            }
        )
    edited = [r for r in rows if r["expected_match"]]
    unrelated = [r for r in rows if not r["expected_match"]]
    summary = {
        "bank": BANK,
        "database": url,
        "indicators": sum(len(a.get("indicators", [])) for a in added),
        "images_in_bank": len(originals),
        "edited_copies": len(edited),
        "edited_copies_matched": sum(r["matched"] for r in edited),
        "unrelated_images": len(unrelated),
        "false_matches": sum(r["matched"] for r in unrelated),
        "seconds": round(elapsed, 2),
        "folder": str(root / "scan-me"),
    }
    if as_json:
        for row in rows:
            emit(row)
        emit(summary)
        return
    _print_report(rows, summary, url)


def _print_report(rows: list[dict[str, Any]], summary: dict[str, Any], url: str) -> None:
    from rich.table import Table

    out_console.print(
        f"[bold]childshield demo[/]: bank [bold]{BANK}[/] holds {summary['indicators']} "
        f"indicators from {summary['images_in_bank']} benign images (pdq, md5, sha256 each; "
        "no image content is stored).",
        highlight=False,
    )
    table = Table("file", "edit", "result", "distance", "indicator from")
    for row in rows:
        if row["error"]:
            result = f"[red]error: {row['error']}[/]"
        elif row["matched"]:
            result = "[green]MATCH[/]" if row["expected_match"] else "[red]FALSE MATCH[/]"
        else:
            result = "[yellow]missed[/]" if row["expected_match"] else "no match"
        distance = "" if row["distance"] is None else str(row["distance"])
        table.add_row(Path(row["path"]).name, row["edit"], result, distance, row["source"] or "")
    out_console.print(table)
    out_console.print(
        f"found {summary['edited_copies_matched']} of {summary['edited_copies']} edited copies, "
        f"{summary['false_matches']} false matches among {summary['unrelated_images']} "
        f"unrelated images, in {summary['seconds']} s.",
        highlight=False,
    )
    folder = summary["folder"]
    out_console.print(
        "\n[bold]Try next[/] with the demo database:\n"
        f"  export CHILDSHIELD_DATABASE_URL={url}\n"
        "  childshield bank list\n"
        f"  childshield match {folder}/*.jpg --json\n"
        f"  childshield bank export {BANK}                  # python-threatexchange format\n"
        f"  childshield bank export {BANK} --format jsonl   # with provenance and status\n"
        f"  childshield bank withdraw {BANK} 1 --reason demo  # then match again\n"
        "  childshield bank create my-bank; childshield bank add my-bank PHOTO.jpg",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
