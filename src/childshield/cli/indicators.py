"""``childshield centre indicator``: the centre's indicator database (Arts. 44, 46).

    childshield centre indicator add --authority police-de --kind known_material \\
        --signal md5 --value <hex> --material-reference CASE-1 --how-generated "md5 of file"
    childshield centre indicator withdraw IND_ID --reason "..."
    childshield centre indicator list [--status active|withdrawn] [--kind ...]
    childshield centre indicator scope PROVIDER_ID LIST_ID --signal md5 --media image \\
        --basis "detection order DO-1"

``add`` records a submission a competent authority made (``--authority`` names it, the
operator is recorded as the actor); the API (``POST /centre/v1/indicators``) takes it from
the authority's own key. Every command is written to the audit log.
"""

from __future__ import annotations

import typer

from childshield.cli._output import DbOption, JsonOption, emit, out_console
from childshield.cli.centre import _actor, _errors, centre_app

indicator_app = typer.Typer(help="The indicator database: add, withdraw, list, scopes.",
                            no_args_is_help=True)


def _bank() -> str:
    from childshield.settings import get_settings

    return get_settings().centre_bank


@indicator_app.command("add")
def add(
    authority: str = typer.Option(..., "--authority", help="The submitting authority."),
    kind: str = typer.Option(..., "--kind", help="known_material, url or solicitation."),
    signal: str = typer.Option(..., "--signal", help="pdq, md5, sha256, url or pattern."),
    value: str = typer.Option(..., "--value", help="The hash, URL or pattern."),
    media: str | None = typer.Option(None, "--media", help="image, video, url or text."),
    material_reference: str = typer.Option(..., "--material-reference",
                                           help="The confirmed material it comes from."),
    how_generated: str = typer.Option(..., "--how-generated"),
    confirmed: bool = typer.Option(True, "--confirmed/--unconfirmed",
                                   help="The authority confirmed the material."),
    note: str | None = typer.Option(None, "--note"),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Add an indicator from a confirmed submission."""
    from childshield.centre import indicators
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        row = indicators.add_indicator(
            session, kind=kind, signal=signal, value=value, media=media, authority=authority,
            material_reference=material_reference, how_generated=how_generated,
            confirmed=confirmed, note=note, centre_bank=_bank(), actor=_actor())
        out = indicators.indicator_view(row)
    if as_json:
        emit(out)
    else:
        out_console.print(f"added {out['indicator_id']} ({kind}, version {out['version']})")


@indicator_app.command("withdraw")
def withdraw(
    indicator_id: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Withdraw an indicator (the next delta carries the withdrawal)."""
    from childshield.centre import indicators
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        row = indicators.withdraw_indicator(session, indicator_id, reason=reason,
                                            centre_bank=_bank(), actor=_actor())
        out = indicators.indicator_view(row)
    if as_json:
        emit(out)
    else:
        out_console.print(f"withdrew {indicator_id} (version {out['version']})")


@indicator_app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status", help="active or withdrawn."),
    kind: str | None = typer.Option(None, "--kind"),
    limit: int = typer.Option(1000, "--limit"),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """List indicators with their provenance (values are sensitive: --json only)."""
    from childshield.centre import indicators
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        rows = [indicators.indicator_view(r) for r in indicators.list_indicators(
            session, status=status, kind=kind, limit=limit, actor=_actor())]
    for out in rows:
        if as_json:
            emit(out)
        else:
            p = out["provenance"]
            out_console.print(f"{out['indicator_id']}  {out['kind']}/{out['signal']}  "
                              f"{out['status']}  v{out['version']}  {p['authority']}  "
                              f"{p['material_reference']}", highlight=False)


@indicator_app.command("scope")
def scope(
    provider_id: str = typer.Argument(...),
    list_id: str = typer.Argument(...),
    signal: list[str] = typer.Option(..., "--signal", help="Allowed signal; repeatable."),
    media: list[str] = typer.Option(..., "--media", help="Allowed media; repeatable."),
    basis: str = typer.Option(..., "--basis", help="The order or agreement allowing it."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Set what a registered provider may receive of a list."""
    from childshield.centre import distribution
    from childshield.centre.providers import get_provider
    from childshield.store import open_database

    with _errors(as_json), open_database(db).session() as session:
        provider = get_provider(session, provider_id)
        row = distribution.grant_scope(session, provider, list_id, signals=signal, media=media,
                                       basis=basis, actor=_actor())
        out = distribution.scope_view(row, provider.provider_id)
    if as_json:
        emit(out)
    else:
        out_console.print(f"{provider_id} may receive {out['signals']} / {out['media']} "
                          f"of {list_id}")


def register(app: typer.Typer) -> None:
    centre_app.add_typer(indicator_app, name="indicator")
