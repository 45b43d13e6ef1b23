"""Keys from the environment: loaded when set, a message naming the variable when not."""

from __future__ import annotations

import pytest

from childshield.crypto import configured
from childshield.crypto.sealing import SealingKey, open_sealed, seal
from childshield.crypto.signing import SigningKey, sign_document, verify_document
from childshield.errors import ConfigurationError
from childshield.settings import get_settings


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"CHILDSHIELD_{name}", value)
    get_settings.cache_clear()


def test_configured_keys_work_together(monkeypatch: pytest.MonkeyPatch) -> None:
    signing, sealing = SigningKey.generate(), SealingKey.generate()
    _env(
        monkeypatch,
        SIGNING_KEY=signing.to_base64(),
        CENTRE_PRIVATE_KEY=sealing.to_base64(),
        CENTRE_PUBLIC_KEY=sealing.public_key.to_base64(),
        CENTRE_SIGNING_PUBLIC_KEY=signing.public_base64,
    )
    envelope = sign_document({"a": 1}, configured.signing_key(), typ="t")
    trust = configured.centre_signing_trust("eu-centre")
    assert verify_document(envelope, [trust], typ="t", owner="eu-centre").payload == {"a": 1}
    box = seal(b"x", configured.centre_public_key(), context="c")
    assert open_sealed(box, configured.centre_sealing_key(), context="c") == b"x"


@pytest.mark.parametrize(
    ("function", "variable"),
    [
        (configured.signing_key, "CHILDSHIELD_SIGNING_KEY"),
        (configured.centre_sealing_key, "CHILDSHIELD_CENTRE_PRIVATE_KEY"),
        (configured.centre_public_key, "CHILDSHIELD_CENTRE_PUBLIC_KEY"),
        (lambda: configured.centre_signing_trust("c"), "CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY"),
        (configured.evidence_keyring, "CHILDSHIELD_EVIDENCE_KEYS"),
    ],
)
def test_missing_or_bad_keys_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, function: object, variable: str
) -> None:
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=variable):
        function()  # type: ignore[operator]
    _env(monkeypatch, **{variable.removeprefix("CHILDSHIELD_"): "not base64!"})
    with pytest.raises(ConfigurationError):
        function()  # type: ignore[operator]
