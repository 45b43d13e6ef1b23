"""``childshield serve``: run the provider and/or centre service on uvicorn."""

from __future__ import annotations

import logging
import os

import typer

from childshield.cli._output import DbOption, out_console


def serve(
    role: str = typer.Option("all", "--role", help="provider, centre or all."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    demo: bool = typer.Option(False, "--demo",
                              help="Create demo tenants, users and keys and print their "
                              "credentials (never in production)."),
    db: str | None = DbOption,
) -> None:
    """Serve the API (/provider/v1, /centre/v1), consoles and /openapi.json.

    Every server process also runs the role's periodic jobs in the background every
    CHILDSHIELD_JOBS_INTERVAL_S seconds (centre: referral delivery, as `centre deliver`;
    provider: the `provider jobs` round); 0 turns that off."""
    from childshield._optional import require
    from childshield.api.app import create_app, sides_of, warm_index_in_background
    from childshield.api.server import PROTOCOL
    from childshield.settings import get_settings
    from childshield.store import open_database

    uvicorn = require("uvicorn")
    sides = sides_of(role)
    settings = get_settings()
    url = db or settings.resolved_database_url()
    database = open_database(url)
    if demo:
        from childshield.auth.demo import seed_demo

        with database.session() as session:
            creds = seed_demo(session, sides)
        _print_demo(creds, host, port)
        settings = get_settings()  # the demo may have exported demo keys
        if len(sides) > 1:
            from childshield.provider.demo_reporting import start_demo_jobs

            local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
            start_demo_jobs(database, f"http://{local}:{port}")
            # the demo's thread runs the provider round itself, every 5 s: no second runner
            os.environ["CHILDSHIELD_JOBS_INTERVAL_S"] = "0"
            settings = settings.model_copy(update={"jobs_interval_s": 0})
            logging.getLogger("uvicorn.access").addFilter(_quiet_demo_polls)
            out_console.print("  demo jobs: every 5 s this process delivers reports, pulls "
                              "the centre's answers and removal orders (outside the "
                              "demo `serve` runs these jobs every "
                              "CHILDSHIELD_JOBS_INTERVAL_S seconds)", highlight=False)
    if workers > 1:
        os.environ["CHILDSHIELD_SERVE_ROLE"] = role
        os.environ["CHILDSHIELD_DATABASE_URL"] = url
        database.dispose()
        uvicorn.run("childshield.api.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, proxy_headers=True, http=PROTOCOL)
        return
    app = create_app(role, database, settings)
    warm_index_in_background(role)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, http=PROTOCOL)


DEMO_POLLS = ("/centre/v1/reports?since=", "/centre/v1/removal-orders?status=pending")


def _quiet_demo_polls(record: logging.LogRecord) -> bool:
    """Keep the demo jobs' routine polls out of the access log (everything else stays)."""
    args = record.args if isinstance(record.args, tuple) else ()
    return not (len(args) >= 5 and args[1] == "GET" and str(args[2]).startswith(DEMO_POLLS)
                and args[4] == 200)


def _print_demo(creds: object, host: str, port: int) -> None:
    from childshield.auth.demo import DemoCredentials

    assert isinstance(creds, DemoCredentials)
    base = f"http://{host}:{port}"
    out_console.print("[bold yellow]DEMO DATA - demo credentials, never use in production[/]")
    for user in creds.users:
        out_console.print(
            f"  {base}/{user['side']}/console/  {user['email']:<34} {user['password']}",
            highlight=False, soft_wrap=True)
    for key in creds.api_keys:
        out_console.print(f"  {key['side']} API key ({key['role']}): {key['key']}",
                          highlight=False, soft_wrap=True)
    out_console.file.flush()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
