"""The package's public surface: version, exception tree, exit codes, settings docs, CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import childshield
from childshield import errors
from childshield.exitcodes import ExitCode, exit_code_for
from childshield.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def test_exported_names() -> None:
    assert set(childshield.__all__) == {"ChildshieldError", "__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", childshield.__version__)


def test_every_error_is_in_the_tree_docstring() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, errors.ChildshieldError):
            assert name in doc, f"{name} missing from the tree drawn in errors.py"
            assert obj("x").type_uri == errors.PROBLEM_BASE + obj.slug


def test_import_error_names_the_line() -> None:
    error = errors.ImportFormatError("expected 64 hex digits", line=7)
    assert str(error) == "line 7: expected 64 hex digits"
    assert exit_code_for(error) is ExitCode.BAD_INPUT


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.NotFoundError("no bank"), ExitCode.NOT_FOUND),
        (errors.IntegrityError("bad signature"), ExitCode.INTEGRITY),
        (errors.DependencyMissingError("x"), ExitCode.CONFIG),
        (RuntimeError("bug"), ExitCode.INTERNAL),
    ],
)
def test_exit_codes(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) is code


def test_every_setting_is_documented() -> None:
    text = (REPO / "docs" / "settings.md").read_text()
    for name, field in Settings.model_fields.items():
        env = f"CHILDSHIELD_{name.upper()}"
        assert env in text, f"{env} is not documented in docs/settings.md"
        assert field.description, f"setting {name} has no description"


def test_every_exit_code_is_documented() -> None:
    text = (REPO / "docs" / "cli.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} | `{code.name}`" in text, f"exit code {code.name} not in docs/cli.md"


def test_cli_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "childshield", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"childshield {childshield.__version__}"


def test_database_migrates_on_both_backends(database) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    assert "alembic_version" in inspect(database.engine).get_table_names()


def test_migrate_skips_alembic_only_when_fingerprint_matches(database) -> None:  # type: ignore[no-untyped-def]
    """The start-up fast path: a database migrated with these files is not migrated again,
    and a changed fingerprint (a new migration) runs Alembic."""
    from sqlalchemy import text

    from childshield.store.db import schema_fingerprint

    assert database._recorded_fingerprint() == schema_fingerprint()
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE childshield_schema_fingerprint SET fingerprint = 'old'"))
    database.migrate()  # runs Alembic (a no-op upgrade) and records the fingerprint again
    assert database._recorded_fingerprint() == schema_fingerprint()
