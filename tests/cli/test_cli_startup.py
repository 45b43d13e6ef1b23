"""What a short command loads: only its own verb module, and no JIT compiler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from childshield.cli import app, app_for


def names(typer_app: object) -> set[str]:
    commands = {c.name for c in typer_app.registered_commands}  # type: ignore[attr-defined]
    groups = {g.name for g in typer_app.registered_groups}  # type: ignore[attr-defined]
    return {n for n in commands | groups if n}


def test_a_plain_verb_gets_only_its_own_command() -> None:
    assert names(app_for(["match", "--hashes", "x"])) == {"match"}
    assert names(app_for(["hash", "a.png"])) == {"hash"}


def test_groups_help_and_unknown_verbs_get_every_verb() -> None:
    everything = names(app)
    assert {"match", "hash", "bank", "centre", "scan"} <= everything
    for argv in ([], ["--help"], ["bank", "list"], ["centre", "indicator"], ["nope"]):
        assert names(app_for(argv)) == everything, argv


def test_match_hashes_loads_neither_numba_nor_other_verbs(tmp_path: Path) -> None:
    """The whole ``match --hashes`` run in a fresh interpreter (bank created, indicators
    imported, lookups answered); afterwards neither numba nor unrelated verb modules (nor
    robust's imaging stack) were imported."""
    rng = np.random.default_rng(5)
    codes = [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(300)]
    indicators = tmp_path / "ind.txt"
    indicators.write_text("".join(f"pdq {c}\n" for c in codes))
    queries = tmp_path / "q.txt"
    queries.write_text(codes[7] + "\n" + "0" * 64 + "\n")
    script = (
        "import sys\n"
        "from childshield.cli import app_for\n"
        "from childshield.cli._output import run_app\n"
        "def run(*argv):\n"
        "    sys.argv = ['childshield', *argv]\n"
        "    assert run_app(app_for(list(argv))) == 0, argv\n"
        "run('bank', 'create', 'b')\n"
        f"run('bank', 'import', 'b', {str(indicators)!r})\n"
        "before = set(sys.modules)\n"
        f"run('match', '--signal', 'pdq', '--hashes', {str(queries)!r}, '--json')\n"
        "loaded = set(sys.modules) - before\n"
        "print(sorted(m for m in loaded if m.split('.')[0] in ('numba', 'PIL', 'pdqhash')"
        " or m.startswith(('childshield.cli.scan', 'childshield.signals.robust'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "CHILDSHIELD_DATA_DIR": str(tmp_path / "data"),
            "CHILDSHIELD_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        },
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    results = [json.loads(x) for x in lines if x.startswith("{")]
    assert [len(r["matches"]) for r in results[-2:]] == [1, 0]
    assert results[-2]["matches"][0]["distance"] == 0
    assert lines[-1] == "[]"


def test_hash_loads_pillow_heif_only_for_heif_files(tmp_path: Path) -> None:
    """A PNG is hashed without importing pillow-heif; a HEIC file in a fresh process (no
    opener registered beforehand) is still read."""
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    pixels = (np.indices((96, 128)).sum(axis=0) * 3 % 256).astype(np.uint8)
    picture = Image.fromarray(np.stack([pixels, pixels[::-1], pixels[:, ::-1]], axis=2))
    png, heic = tmp_path / "p.png", tmp_path / "p.heic"
    picture.save(png)
    picture.save(heic, format="HEIF", quality=95)
    script = (
        "import json, sys\n"
        "from childshield.signals import hash_files\n"
        "png = list(hash_files([sys.argv[1]], workers=1))[0]\n"
        "print('pillow_heif' in sys.modules)\n"
        "heic = list(hash_files([sys.argv[2]], workers=1))[0]\n"
        "print(json.dumps([png.get('media'), heic.get('media'), heic.get('error')]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(png), str(heic)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout.splitlines()
    assert out[0] == "False"
    assert json.loads(out[1]) == ["image", "image", None]
