"""The centre_indicators migration creates exactly what the models declare."""

from __future__ import annotations

from typing import Any

from childshield.store import Database

OURS = {"centre_indicator_versions", "centre_indicators", "centre_indicator_scopes",
        "provider_list_syncs", "provider_list_entries"}


def test_schema_matches_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import childshield.store.models.centre_indicators  # noqa: F401 - registers the tables
    from childshield.store.models import Base

    def only_ours(name: str | None, kind: str, parents: dict[str, str | None]) -> bool:
        if kind == "schema":
            return True
        table = name if kind == "table" else parents.get("table_name")
        return table in OURS

    def ours_object(obj: Any, name: str | None, kind: str, reflected: bool,
                    compare_to: Any) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in OURS

    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": only_ours, "include_object": ours_object})
        assert compare_metadata(context, Base.metadata) == []
