"""`childshield keys`: generated keys load back; `show` prints public halves only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from childshield.crypto.keyring import EvidenceKeyring
from childshield.crypto.sealing import SealingKey, SealingPublicKey, open_sealed, seal
from childshield.crypto.signing import SigningKey, TrustedKey, sign_document, verify_document


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CHILDSHIELD_")}
    full_env["CHILDSHIELD_DATA_DIR"] = os.environ["CHILDSHIELD_DATA_DIR"]
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "childshield", "keys", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def _env_lines(stdout: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in stdout.splitlines() if line and not line.startswith("#")
    )


def test_signing_key_works_and_show_reveals_only_the_public_half() -> None:
    out = _cli("generate", "--kind", "signing", "--json")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    key = SigningKey.from_base64(record["private_key"])
    assert key.kid == record["kid"]
    envelope = sign_document({"x": 1}, key, typ="t")
    assert verify_document(envelope, [TrustedKey.from_base64(record["public_key"])], typ="t")

    env_out = _cli("generate", "--kind", "signing", "--out-env")
    env = _env_lines(env_out.stdout)
    shown = _cli("show", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert env["CHILDSHIELD_SIGNING_KEY"] not in shown.stdout
    signing = json.loads(shown.stdout)["signing"]
    assert signing["kid"] == SigningKey.from_base64(env["CHILDSHIELD_SIGNING_KEY"]).kid


def test_sealing_env_lines_pair_up() -> None:
    env = _env_lines(_cli("generate", "--kind", "sealing", "--out-env").stdout)
    centre = SealingKey.from_base64(env["CHILDSHIELD_CENTRE_PRIVATE_KEY"])
    public = SealingPublicKey.from_base64(env["CHILDSHIELD_CENTRE_PUBLIC_KEY"])
    assert open_sealed(seal(b"x", public, context="c"), centre, context="c") == b"x"


def test_evidence_key_generation_rotates() -> None:
    first = _env_lines(_cli("generate", "--kind", "evidence", "--kid", "k1", "--out-env").stdout)
    ring1 = EvidenceKeyring.parse(first["CHILDSHIELD_EVIDENCE_KEYS"])
    blob = ring1.encrypt(b"evidence")
    second = _env_lines(
        _cli("generate", "--kind", "evidence", "--kid", "k2", "--out-env", env=first).stdout
    )
    ring2 = EvidenceKeyring.parse(second["CHILDSHIELD_EVIDENCE_KEYS"])
    assert ring2.kids == ["k1", "k2"] and ring2.current_kid == "k2"
    assert ring2.decrypt(blob) == b"evidence"


def test_bad_configured_key_is_named_with_config_exit_code() -> None:
    out = _cli("show", env={"CHILDSHIELD_SIGNING_KEY": "not-base64"})
    assert out.returncode == 8
    assert "CHILDSHIELD_SIGNING_KEY is not valid base64" in out.stderr
    bad_kid = _cli("generate", "--kind", "evidence", "--kid", "bad id!")
    assert bad_kid.returncode == 8 and "key id" in bad_kid.stderr
