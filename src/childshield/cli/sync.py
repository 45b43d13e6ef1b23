"""``childshield bank sync``: pull a signed indicator list from the centre into a bank.

    CHILDSHIELD_CENTRE_API_KEY=... childshield bank sync --centre https://centre.example \\
        --list known-material --bank centre-known --provider-id demo-host

Verifies the signature (``CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY``) and the whole list
before applying anything; a tampered or out-of-scope list exits INTEGRITY (6), nothing
applied. See docs/indicators.md.
"""

from __future__ import annotations

import typer

from childshield.cli._output import DbOption, JsonOption, emit, fail, out_console
from childshield.cli.bank import bank_app


@bank_app.command("sync")
def sync(
    centre: str = typer.Option(..., "--centre", help="The centre's base URL (HTTPS)."),
    list_id: str = typer.Option(..., "--list", help="The list id the centre granted."),
    bank: str = typer.Option(..., "--bank", help="Local bank to fill (created if missing)."),
    kind: str = typer.Option("known_material", "--kind",
                             help="Kind of a bank created here: known_material, url or "
                                  "solicitation (patterns for the conversation scorer)."),
    provider_id: str = typer.Option(..., "--provider-id",
                                    help="This provider's id at the centre (lists name it)."),
    signal: list[str] = typer.Option([], "--signal",
                                     help="Accept only these signals (repeatable)."),
    key_env: str = typer.Option("CHILDSHIELD_CENTRE_API_KEY", "--key-env",
                                help="Environment variable holding the centre API key."),
    allow_http: bool = typer.Option(False, "--allow-http",
                                    help="Allow plain HTTP (tests and sandboxes only)."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Pull, verify and apply the centre's list (full, then deltas) to a local bank."""
    from childshield.errors import ChildshieldError
    from childshield.matching import BankService
    from childshield.provider import sync as syncing
    from childshield.settings import get_settings
    from childshield.store import open_database

    try:
        database = open_database(db)
        BankService(database).ensure(bank, kind=kind)
        result = syncing.sync(database, centre_url=centre, list_id=list_id, bank=bank,
                              provider_id=provider_id,
                              centre_public_key=get_settings().centre_signing_public_key,
                              key_env=key_env, signals=signal or None, allow_http=allow_http)
    except ChildshieldError as error:
        raise fail(error, as_json=as_json) from None
    out = result.to_dict()
    if as_json:
        emit(out)
    else:
        out_console.print(f"{bank}: {out['kind']} {out['from_version']} -> {out['version']}, "
                          f"{out['added']} added, {out['withdrawn']} withdrawn")


def register(app: typer.Typer) -> None:
    """``sync`` is registered on the ``bank`` group at import (see ``cli.bank``)."""
