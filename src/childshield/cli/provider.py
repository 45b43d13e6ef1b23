"""``childshield provider``: reporting jobs of the provider service.

    childshield provider profile set TENANT --provider-id ID --name N --address A \\
        --email E --country BE --centre-url https://centre.example --centre-key-env VAR
    childshield provider deliver [--once] [--rate N] [--lease S]   # the outbox worker
    childshield provider answers pull                              # the centre's answers
    childshield provider jobs [--once] [--interval S]              # all periodic jobs
    childshield provider outbox [--status failed]
    childshield provider notices run | orders pull | victims pull | retention run [--now ISO]
    childshield provider evidence rewrap
    childshield provider signing-key show TENANT | rotate TENANT --env VAR
    childshield provider purge [--now ISO]        # old Idempotency-Key answers, dead sessions
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import typer

from childshield.cli._output import DbOption, JsonOption, emit, fail

provider_app = typer.Typer(help="Provider reporting: outbox, answers, notices, retention.",
                           no_args_is_help=True)
profile_app = typer.Typer(help="How a tenant reports to the centre.", no_args_is_help=True)
answers_app = typer.Typer(help="The centre's answers to our reports.", no_args_is_help=True)
retention_app = typer.Typer(help="Art. 22 retention.", no_args_is_help=True)
evidence_app = typer.Typer(help="Evidence encryption keys.", no_args_is_help=True)
notices_app = typer.Typer(help="Notices to affected users (Art. 12).", no_args_is_help=True)
orders_app = typer.Typer(help="Removal orders from the centre.", no_args_is_help=True)
signing_app = typer.Typer(help="Each tenant's report-signing key (Ed25519).",
                          no_args_is_help=True)
victims_app = typer.Typer(help="The centre's removal notices for victims (Art. 21).",
                          no_args_is_help=True)
provider_app.add_typer(profile_app, name="profile")
provider_app.add_typer(answers_app, name="answers")
provider_app.add_typer(retention_app, name="retention")
provider_app.add_typer(evidence_app, name="evidence")
provider_app.add_typer(notices_app, name="notices")
provider_app.add_typer(victims_app, name="victims")
provider_app.add_typer(orders_app, name="orders")
provider_app.add_typer(signing_app, name="signing-key")


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    from childshield.errors import ChildshieldError

    try:
        yield
    except ChildshieldError as error:
        raise fail(error, as_json=as_json) from None


def _now(value: str | None) -> datetime | None:
    from childshield.errors import InputError

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--now {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise InputError("--now needs a timezone (e.g. 2027-01-01T00:00:00+00:00)")
    return moment


@profile_app.command("set")
def profile_set(
    tenant: str = typer.Argument(..., help="Provider-side tenant name."),
    provider_id: str = typer.Option(..., "--provider-id", help="Our id at the centre."),
    name: str = typer.Option(..., "--name"),
    address: str = typer.Option(..., "--address"),
    email: str = typer.Option(..., "--email"),
    country: str = typer.Option(..., "--country", help="Two-letter country code."),
    centre_url: str = typer.Option(..., "--centre-url"),
    centre_key_env: str = typer.Option(..., "--centre-key-env",
                                       help="Environment variable holding the centre API key."),
    legal_basis: str | None = typer.Option(None, "--legal-basis"),
    allow_http: bool = typer.Option(False, "--allow-http", help="Tests and sandboxes only."),
    ncmec: bool = typer.Option(False, "--ncmec", help="Also report to NCMEC."),
    signing_key_env: str | None = typer.Option(
        None, "--signing-key-env", help="Environment variable holding this tenant's "
        "report-signing key (default: keep; '' for CHILDSHIELD_SIGNING_KEY)."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Create or replace a tenant's reporting profile."""
    from childshield.auth.service import get_tenant
    from childshield.provider.reports import set_profile
    from childshield.store import open_database

    with _errors(as_json):
        database = open_database(db)
        with database.session() as session:
            row = set_profile(session, get_tenant(session, tenant).id, provider_id=provider_id,
                              name=name, address=address, email=email, country=country,
                              centre_url=centre_url, centre_key_env=centre_key_env,
                              legal_basis=legal_basis, allow_http=allow_http, ncmec=ncmec,
                              signing_key_env=signing_key_env)
            emit({"tenant": tenant, "provider_id": row.provider_id, "centre_url": row.centre_url,
                  "ncmec": row.ncmec,
                  "signing_key_env": row.signing_key_env or "CHILDSHIELD_SIGNING_KEY"})


@provider_app.command("deliver")
def deliver(
    once: bool = typer.Option(False, "--once", help="One pass, then exit."),
    rate: float | None = typer.Option(None, "--rate", help="At most N sends a second."),
    lease: float = typer.Option(120.0, "--lease", help="Seconds a row is held by a worker."),
    interval: float = typer.Option(5.0, "--interval", help="Seconds between idle passes."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Send the outbox to the centre (and NCMEC) with retries, exactly once."""
    from childshield.provider.delivery import Worker
    from childshield.provider.ncmec import ncmec_sender
    from childshield.store import open_database

    with _errors(as_json):
        worker = Worker(open_database(db), rate=rate, lease_seconds=lease,
                        ncmec=ncmec_sender(), timeout=min(30.0, lease / 2))
        try:
            if once:
                emit(worker.run_once().to_json())
            else:
                worker.run_forever(interval)
        finally:
            worker.close()


@provider_app.command("jobs")
def jobs(
    once: bool = typer.Option(False, "--once", help="One round, then exit."),
    interval: float = typer.Option(60.0, "--interval", help="Seconds between rounds."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """The scheduler: each round reports any confirmed case still without a report, pulls
    answers, removal orders (deadline alerts) and removal notices for victims,
    creates due notices, runs retention, purges old Idempotency-Key answers and dead
    console sessions, and makes a delivery pass. One JSON line a round."""
    import time

    from childshield.provider.delivery import Worker
    from childshield.provider.jobs import run_round
    from childshield.provider.ncmec import ncmec_sender
    from childshield.store import open_database

    with _errors(as_json):
        database = open_database(db)
        worker = Worker(database, ncmec=ncmec_sender())
        try:
            while True:
                emit(run_round(database, worker))
                if once:
                    return
                time.sleep(interval)
        finally:
            worker.close()


@provider_app.command("outbox")
def outbox_list(
    status: str | None = typer.Option(None, "--status"),
    limit: int = typer.Option(100, "--limit"),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Rows of the outbox, newest first (one JSON line each)."""
    from childshield.store import open_database
    from childshield.store import provider_reports as repo

    with open_database(db).session() as session:
        for row in repo.outbox_rows(session, None, status, limit):
            emit({"id": row.id, "tenant": row.tenant_id, "destination": row.destination,
                  "kind": row.kind, "status": row.status, "attempts": row.attempts,
                  "last_error": row.last_error})


@answers_app.command("pull")
def answers_pull(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """Pull and verify the centre's answers to our reports."""
    from childshield.provider.answers import pull_answers
    from childshield.store import open_database

    with _errors(as_json):
        emit(pull_answers(open_database(db)).to_json())


@notices_app.command("run")
def notices_run(now: str | None = typer.Option(None, "--now"), db: str | None = DbOption,
                as_json: bool = JsonOption) -> None:
    """Create the user notices that are due (Art. 12(2))."""
    from childshield.provider.notices import schedule_notices
    from childshield.store import open_database

    with _errors(as_json):
        emit({"created": schedule_notices(open_database(db), now=_now(now))})


@orders_app.command("pull")
def orders_pull(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """Pull removal orders from the centre; warn about deadlines close to breach."""
    from childshield.provider.orders import pull_orders
    from childshield.store import open_database

    with _errors(as_json):
        emit(pull_orders(open_database(db)))


@victims_app.command("pull")
def victims_pull(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """Pull the centre's removal notices for victims (Art. 21)."""
    from childshield.provider.victim_notices import pull_notices
    from childshield.store import open_database

    with _errors(as_json):
        emit(pull_notices(open_database(db)))


@retention_app.command("run")
def retention_run(now: str | None = typer.Option(None, "--now"), db: str | None = DbOption,
                  as_json: bool = JsonOption) -> None:
    """Delete content and personal data whose retention period ended (Art. 22)."""
    from childshield.provider.retention import run_retention
    from childshield.store import open_database

    with _errors(as_json):
        emit(run_retention(open_database(db), now=_now(now)))


@provider_app.command("purge")
def purge(now: str | None = typer.Option(None, "--now"), db: str | None = DbOption,
          as_json: bool = JsonOption) -> None:
    """Delete Idempotency-Key answers older than CHILDSHIELD_IDEMPOTENCY_RETENTION_HOURS and
    expired or ended console sessions."""
    from childshield.provider.housekeeping import purge_expired
    from childshield.store import open_database

    with _errors(as_json):
        emit(purge_expired(open_database(db), now=_now(now)))


@evidence_app.command("rewrap")
def evidence_rewrap(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """Re-encrypt every kept evidence item with the current key (after adding a key)."""
    from childshield.provider.retention import rewrap_evidence
    from childshield.store import open_database

    with _errors(as_json):
        emit(rewrap_evidence(open_database(db)))


@signing_app.command("show")
def signing_show(tenant: str = typer.Argument(..., help="Provider-side tenant name."),
                 db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """Show the public half of a tenant's report-signing key (to register at the centre)."""
    from childshield.auth.service import get_tenant
    from childshield.provider.signing import show_key
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        emit({"tenant": tenant, **show_key(session, get_tenant(session, tenant).id)})


@signing_app.command("rotate")
def signing_rotate(
    tenant: str = typer.Argument(..., help="Provider-side tenant name."),
    env: str = typer.Option(..., "--env", help="Environment variable that will hold the "
                            "new key (e.g. ACME_SIGNING_KEY_2026)."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Make a new signing key for a tenant and switch its profile to it. The private key is
    printed once and stored nowhere: put it in the service's environment as ENV, and
    register the public key at the centre (`childshield centre provider add-key`)."""
    from childshield.auth.service import get_tenant
    from childshield.provider.signing import rotate_key
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        key, view = rotate_key(session, get_tenant(session, tenant).id, env,
                               actor="cli:signing-key")
        emit({"tenant": tenant, **view, "private_key": key.to_base64(),
              "next": [f"set {env} in the provider service's environment and restart it",
                       f"at the centre: childshield centre provider add-key "
                       f"{view['provider_id']} --public-key {view['public_key']}",
                       "keep the old public key registered until the outbox is delivered"]})


def register(app: typer.Typer) -> None:
    app.add_typer(provider_app, name="provider")
