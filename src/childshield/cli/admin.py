"""``childshield tenant|key|user``: tenants, API keys and console users.

    childshield tenant create acme [--side provider|centre]
    childshield key create --tenant acme --role integration [--label "upload service"]
    childshield user create --tenant acme --role reviewer --email r@acme.example

A new key is printed once (only its SHA-256 is stored). A user's password comes from
``CHILDSHIELD_NEW_USER_PASSWORD`` or is asked for at a prompt.
"""

from __future__ import annotations

import getpass
import os

import typer

from childshield.cli._output import DbOption, JsonOption, emit, out_console

tenant_app = typer.Typer(help="Tenants: the services one deployment serves.",
                         no_args_is_help=True)
key_app = typer.Typer(help="API keys for integrating services.", no_args_is_help=True)
user_app = typer.Typer(help="Console users (passwords, roles).", no_args_is_help=True)

PASSWORD_ENV = "CHILDSHIELD_NEW_USER_PASSWORD"


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


@tenant_app.command("create")
def tenant_create(
    name: str = typer.Argument(..., help="Short name: a-z, 0-9, '-', '_', '.'."),
    side: str = typer.Option("provider", "--side", help="provider or centre."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a tenant."""
    from childshield.auth import service
    from childshield.store import open_database

    with open_database(db).session() as session:
        tenant = service.create_tenant(session, name, side, actor=_actor())
        out = {"tenant": tenant.name, "id": tenant.id, "side": tenant.side}
    if as_json:
        emit(out)
    else:
        out_console.print(f"created {out['side']} tenant {out['tenant']} (id {out['id']})")


@tenant_app.command("list")
def tenant_list(db: str | None = DbOption, as_json: bool = JsonOption) -> None:
    """List tenants."""
    from childshield.store import auth as repo
    from childshield.store import open_database

    with open_database(db).session() as session:
        rows = [{"tenant": t.name, "id": t.id, "side": t.side}
                for t in repo.list_tenants(session)]
    for row in rows:
        if as_json:
            emit(row)
        else:
            out_console.print(f"{row['id']:>4}  {row['side']:<8}  {row['tenant']}")


@key_app.command("create")
def key_create(
    tenant: str = typer.Option(..., "--tenant", help="Tenant name."),
    role: list[str] = typer.Option(..., "--role", help="Role (repeat for several)."),
    label: str = typer.Option("", "--label", help="What the key is for."),
    subject: str | None = typer.Option(None, "--subject",
                                       help="What the key stands for, e.g. a provider id."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Issue an API key. It is printed once: store it now."""
    from childshield.auth import service
    from childshield.store import open_database

    with open_database(db).session() as session:
        issued = service.create_api_key(session, service.get_tenant(session, tenant), role,
                                        actor=_actor(), label=label, subject=subject)
        roles = list(issued.key.roles)
        out = {"tenant": tenant, "id": issued.key.id, "prefix": f"csk_{issued.key.prefix}",
               "roles": issued.key.roles, "key": issued.secret}
    if as_json:
        emit(out)
    else:
        out_console.print(f"API key for {tenant} ({', '.join(roles)}); shown once:")
        out_console.print(out["key"], highlight=False)


@key_app.command("list")
def key_list(
    tenant: str = typer.Option(..., "--tenant", help="Tenant name."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """List a tenant's keys (prefixes only)."""
    from childshield.auth import service
    from childshield.store import auth as repo
    from childshield.store import open_database

    with open_database(db).session() as session:
        t = service.get_tenant(session, tenant)
        keys = list(repo.keys_of_tenant(session, t.id))
    for k in keys:
        if as_json:
            emit({"id": k.id, "prefix": f"csk_{k.prefix}", "roles": k.roles, "label": k.label,
                  "revoked": k.revoked_at is not None})
        else:
            state = "revoked" if k.revoked_at is not None else "active"
            out_console.print(f"csk_{k.prefix}  {state:<7}  {','.join(k.roles)}  {k.label}",
                              highlight=False)


@key_app.command("revoke")
def key_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix (csk_xxxxxxxxxxxx) or the key."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Revoke an API key at once."""
    from childshield.auth import service
    from childshield.errors import NotFoundError
    from childshield.store import auth as repo
    from childshield.store import open_database

    bare = prefix.removeprefix("csk_").split("_", 1)[0]
    with open_database(db).session() as session:
        key = repo.key_by_prefix(session, bare)
        if key is None:
            raise NotFoundError(f"no API key with prefix {prefix!r}")
        service.revoke_api_key(session, key, actor=_actor())
    if as_json:
        emit({"prefix": f"csk_{bare}", "revoked": True})
    else:
        out_console.print(f"revoked csk_{bare}")


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        from childshield.errors import InputError

        raise InputError("the passwords differ")
    return str(first)


@user_app.command("create")
def user_create(
    tenant: str = typer.Option(..., "--tenant", help="Tenant name."),
    role: list[str] = typer.Option(..., "--role", help="Role (repeat for several)."),
    email: str = typer.Option(..., "--email", help="Login e-mail."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a console user (password from CHILDSHIELD_NEW_USER_PASSWORD or a prompt)."""
    from childshield.auth import service
    from childshield.store import open_database

    password = _password()
    with open_database(db).session() as session:
        user = service.create_user(session, service.get_tenant(session, tenant), email,
                                   password, role, actor=_actor())
        roles = list(user.roles)
        out = {"tenant": tenant, "id": user.id, "email": user.email, "roles": user.roles}
    if as_json:
        emit(out)
    else:
        out_console.print(f"created user {out['email']} in {tenant} ({', '.join(roles)})")


@user_app.command("disable")
def user_disable(
    email: str = typer.Argument(..., help="Login e-mail."),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Disable a console user and end their sessions."""
    from childshield.auth import service
    from childshield.errors import NotFoundError
    from childshield.store import auth as repo
    from childshield.store import open_database

    with open_database(db).session() as session:
        user = repo.user_by_email(session, email.strip().lower())
        if user is None:
            raise NotFoundError(f"no user {email!r}")
        service.disable_user(session, user, actor=_actor())
    if as_json:
        emit({"email": email, "disabled": True})
    else:
        out_console.print(f"disabled {email}")


def register(app: typer.Typer) -> None:
    app.add_typer(tenant_app, name="tenant")
    app.add_typer(key_app, name="key")
    app.add_typer(user_app, name="user")
