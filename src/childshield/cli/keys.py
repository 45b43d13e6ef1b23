"""``childshield keys``: make and inspect the keys a deployment needs.

``keys generate --kind signing|sealing|evidence`` prints a new key pair (or AES key) as
base64 for the environment; ``--out-env`` prints ready ``CHILDSHIELD_*=...`` lines
(for ``evidence`` the new key is appended to the current ``CHILDSHIELD_EVIDENCE_KEYS``, which
is how keys are rotated). ``keys show`` prints the public half and the key ids of what is
configured, never a secret.
"""

from __future__ import annotations

from enum import StrEnum

import typer

from childshield.cli._output import JsonOption, emit, err_console, fail, out_console

keys_app = typer.Typer(
    help="Generate and inspect signing, sealing and evidence keys.", no_args_is_help=True
)


class KeyKind(StrEnum):
    signing = "signing"
    sealing = "sealing"
    evidence = "evidence"


def _generate(kind: KeyKind, kid: str | None) -> tuple[dict[str, str], list[str]]:
    """The key as a JSON object and as environment lines."""
    if kind is KeyKind.signing:
        from childshield.crypto.signing import SigningKey

        key = SigningKey.generate()
        private, public = key.to_base64(), key.public_base64
        return (
            {"kind": "signing", "kid": key.kid, "private_key": private, "public_key": public},
            [
                f"CHILDSHIELD_SIGNING_KEY={private}",
                f"# public key {key.kid} (register it with the other party): {public}",
            ],
        )
    if kind is KeyKind.sealing:
        from childshield.crypto.sealing import SealingKey

        sealing = SealingKey.generate()
        private, public = sealing.to_base64(), sealing.public_key.to_base64()
        return (
            {"kind": "sealing", "kid": sealing.kid, "private_key": private, "public_key": public},
            [
                f"CHILDSHIELD_CENTRE_PRIVATE_KEY={private}",
                "# for providers, who seal report content for the centre:",
                f"CHILDSHIELD_CENTRE_PUBLIC_KEY={public}",
            ],
        )
    from childshield.crypto.encoding import b64encode
    from childshield.crypto.keyring import EvidenceKey
    from childshield.settings import get_settings

    evidence = EvidenceKey.generate(kid)
    current = get_settings().evidence_keys
    keys = [current.get_secret_value()] if current and current.get_secret_value() else []
    return (
        {"kind": "evidence", "kid": evidence.kid, "key": b64encode(evidence.key)},
        [f"CHILDSHIELD_EVIDENCE_KEYS={','.join([*keys, evidence.to_spec()])}"],
    )


@keys_app.command("generate")
def generate(
    kind: KeyKind = typer.Option(
        ...,
        "--kind",
        help="signing (Ed25519), sealing (X25519, the centre's) or evidence (AES-256-GCM).",
    ),
    out_env: bool = typer.Option(False, "--out-env", help="Print CHILDSHIELD_*=... lines."),
    kid: str | None = typer.Option(
        None, "--kid", help="Key id for an evidence key (default: random)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Generate a new key and print it base64-encoded (the output contains secrets)."""
    from childshield.errors import ChildshieldError

    try:
        record, env_lines = _generate(kind, kid)
    except ChildshieldError as error:
        if not as_json:
            raise
        raise fail(error, as_json=True) from error
    err_console.print(
        "[yellow]the output contains a secret key: store it in your secret "
        "manager, not in a file in the repository[/]",
        highlight=False,
    )
    if out_env:
        for line in env_lines:
            typer.echo(line)
    elif as_json:
        emit(record)
    else:
        for name, value in record.items():
            out_console.print(f"{name}: {value}", highlight=False)


@keys_app.command("show")
def show(as_json: bool = JsonOption) -> None:
    """Print the public keys and key ids of the configured keys (no secrets)."""
    from childshield.crypto.keyring import EvidenceKeyring
    from childshield.crypto.sealing import SealingKey, SealingPublicKey
    from childshield.crypto.signing import SigningKey
    from childshield.errors import ChildshieldError
    from childshield.settings import get_settings

    settings = get_settings()
    record: dict[str, object] = {}
    try:
        if settings.signing_key is not None:
            key = SigningKey.from_base64(
                settings.signing_key.get_secret_value(), "CHILDSHIELD_SIGNING_KEY"
            )
            record["signing"] = {"kid": key.kid, "public_key": key.public_base64}
        if settings.centre_private_key is not None:
            sealing = SealingKey.from_base64(
                settings.centre_private_key.get_secret_value(), "CHILDSHIELD_CENTRE_PRIVATE_KEY"
            )
            record["sealing"] = {"kid": sealing.kid, "public_key": sealing.public_key.to_base64()}
        if settings.centre_public_key:
            centre = SealingPublicKey.from_base64(
                settings.centre_public_key, "CHILDSHIELD_CENTRE_PUBLIC_KEY"
            )
            record["centre_sealing"] = {"kid": centre.kid, "public_key": centre.to_base64()}
        if settings.evidence_keys is not None:
            ring = EvidenceKeyring.parse(settings.evidence_keys.get_secret_value())
            record["evidence"] = {"kids": ring.kids, "current": ring.current_kid}
    except ChildshieldError as error:
        if not as_json:
            raise
        raise fail(error, as_json=True) from error
    if as_json:
        emit(record)
        return
    if not record:
        out_console.print("no keys configured (see `childshield keys generate --help`)")
    for name, value in record.items():
        out_console.print(f"{name}: {value}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
