"""``childshield centre``: the EU Centre's command line.

    childshield centre provider add demo-host --public-key <base64> --contact abuse@host.example
    childshield centre provider list
    childshield centre provider add-key demo-host --public-key <base64>
    childshield centre provider revoke-key demo-host --kid 3f1c0e9a5b7d2c41
    childshield centre stats [--json] [--csv FILE]
    childshield centre referral redeliver REFERRAL_ID
    childshield centre deliver [--once] [--lease S] [--interval S]   # the referral outbox job

``provider add`` creates the provider's centre tenant, registers its report-signing keys
and prints a new API key (role ``provider``) once; ``--no-api-key`` skips the key.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from childshield.cli._output import DbOption, JsonOption, emit, fail, out_console

if TYPE_CHECKING:
    from childshield.centre.referral_outbox import DeliveryWorker

centre_app = typer.Typer(help="The EU Centre: providers, statistics, referrals.",
                         no_args_is_help=True)
provider_app = typer.Typer(help="Providers registered with the centre.", no_args_is_help=True)
referral_app = typer.Typer(help="Referrals to law enforcement.", no_args_is_help=True)
centre_app.add_typer(provider_app, name="provider")
centre_app.add_typer(referral_app, name="referral")


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    """A ChildshieldError becomes a clear message (or JSON line) and its exit code."""
    from childshield.errors import ChildshieldError

    try:
        yield
    except ChildshieldError as error:
        raise fail(error, as_json=as_json) from None


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


@provider_app.command("add")
def provider_add(
    name: str = typer.Argument(..., help="Tenant name for the provider (a-z, 0-9, - _ .)."),
    public_key: list[str] = typer.Option(..., "--public-key",
                                         help="Ed25519 public key (base64); repeatable."),
    contact: str = typer.Option(..., "--contact", help="Contact point (e-mail or address)."),
    provider_id: str | None = typer.Option(None, "--provider-id",
                                           help="Id its reports carry (default: NAME)."),
    display_name: str | None = typer.Option(None, "--name", help="Display name."),
    country: str | None = typer.Option(None, "--country", help="Two-letter country code."),
    api_key: bool = typer.Option(True, "--api-key/--no-api-key",
                                 help="Issue an API key (printed once)."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Register a provider with its public keys and contact point."""
    from childshield.centre import providers
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        row = providers.register_provider(
            session, name, contact=contact, public_keys=public_key, provider_id=provider_id,
            display_name=display_name, country=country, actor=_actor())
        out = providers.provider_view(session, row)
        if api_key:
            out["api_key"] = providers.issue_api_key(session, row, actor=_actor())
    if as_json:
        emit(out)
        return
    out_console.print(f"registered provider {out['provider_id']} (tenant {out['tenant']}, "
                      f"{len(out['keys'])} key(s))", highlight=False)
    if api_key:
        out_console.print(f"API key (shown once): {out['api_key']}", highlight=False,
                          soft_wrap=True)


@provider_app.command("list")
def provider_list(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """List registered providers and their keys."""
    from childshield.centre import providers
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        rows = [providers.provider_view(session, p) for p in providers.list_providers(session)]
    for row in rows:
        if as_json:
            emit(row)
        else:
            active = sum(1 for k in row["keys"] if k["revoked_at"] is None)
            out_console.print(f"{row['provider_id']:<24} {row['contact']:<32} "
                              f"{active} active key(s)", highlight=False)


@provider_app.command("add-key")
def provider_add_key(
    provider_id: str = typer.Argument(...),
    public_key: str = typer.Option(..., "--public-key", help="Ed25519 public key (base64)."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Add a report-signing key (key rotation: add the new one, then revoke the old)."""
    from childshield.centre import providers
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        row = providers.get_provider(session, provider_id)
        key = providers.add_key(session, row, public_key, actor=_actor())
        out = {"provider_id": provider_id, "kid": key.kid}
    emit(out) if as_json else out_console.print(f"added key {out['kid']}")


@provider_app.command("revoke-key")
def provider_revoke_key(
    provider_id: str = typer.Argument(...),
    kid: str = typer.Option(..., "--kid", help="Key id to revoke."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Revoke a report-signing key: reports signed with it are refused from now on."""
    from childshield.centre import providers
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        providers.revoke_key(session, providers.get_provider(session, provider_id), kid,
                             actor=_actor())
    emit({"provider_id": provider_id, "revoked": kid}) if as_json else \
        out_console.print(f"revoked key {kid}")


@centre_app.command("stats")
def stats_command(
    csv_file: Path | None = typer.Option(None, "--csv", help="Also write the figures as CSV."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Transparency figures (Art. 83), computed from the data, no personal data."""
    from childshield.centre import stats
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        figures = stats.compute(session)
    if csv_file is not None:
        csv_file.write_text(stats.to_csv(figures), encoding="utf-8")
    if as_json:
        emit(figures)
        return
    for section, key, value in stats.to_rows(figures):
        out_console.print(f"{section:<22} {key:<42} {value}", highlight=False)


def _worker(db: str | None, lease: float) -> DeliveryWorker:
    from childshield.centre.config import CentreConfig
    from childshield.centre.delivery import default_sink
    from childshield.centre.referral_outbox import DeliveryWorker
    from childshield.settings import get_settings
    from childshield.store import open_database

    config = CentreConfig.from_settings(get_settings())
    return DeliveryWorker(open_database(db), config,
                          default_sink(config.referral_dir, allow_http=config.allow_http),
                          lease_seconds=lease)


@referral_app.command("redeliver")
def referral_redeliver(
    referral_id: str = typer.Argument(...),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Make a referral's undelivered deliveries due again, and try them once now."""
    from childshield.centre import referrals
    from childshield.centre.referral_outbox import delivery_view

    with _errors(as_json):
        worker = _worker(db, 120.0)
        with worker.database.session() as session:
            pk = referrals.redeliver(session, referral_id, _actor()).id
        worker.run_once(referral_pk=pk)
        with worker.database.session() as session:
            deliveries = delivery_view(session, referrals.referral_of(session, referral_id))
    out = {"referral_id": referral_id, "deliveries": deliveries}
    if as_json:
        emit(out)
        return
    for d in deliveries:
        out_console.print(f"{d['recipient']:<20} {d['status']:<10} "
                          f"{d.get('reference') or d.get('error') or ''}", highlight=False)


@centre_app.command("deliver")
def deliver(
    once: bool = typer.Option(False, "--once", help="One pass, then exit."),
    lease: float = typer.Option(120.0, "--lease", help="Seconds a delivery is held by a worker."),
    interval: float = typer.Option(5.0, "--interval", help="Seconds between idle passes."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Deliver forwarded referrals from the outbox, with retries (the centre's job)."""
    with _errors(as_json):
        worker = _worker(db, lease)
        if once:
            result = worker.run_once().to_json()
            if as_json:
                emit(result)
            else:
                out_console.print(f"delivered {result['delivered']}, retried "
                                  f"{result['retried']}, failed {result['failed']}")
            return
        worker.run_forever(interval=interval)


def register(app: typer.Typer) -> None:
    app.add_typer(centre_app, name="centre")
