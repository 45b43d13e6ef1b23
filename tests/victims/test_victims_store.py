"""The victims' tables as migrated equal the models (SQLite and PostgreSQL)."""

from __future__ import annotations

from childshield.store import Database


def test_schema_matches_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    # importing the model modules registers their tables
    import childshield.store.models.centre
    import childshield.store.models.centre_victims
    import childshield.store.models.provider_victims  # noqa: F401
    from childshield.store.models import Base

    ours = {"centre_victim_requests", "centre_victim_matches", "centre_victim_notices",
            "centre_item_signals", "centre_rate_limits", "centre_referral_outbox",
            "provider_victim_notices"}

    def only_ours(name: str | None, kind: str, parents: dict[str, str | None]) -> bool:
        if kind == "schema":
            return True
        table = name if kind == "table" else parents.get("table_name")
        return table in ours

    def only_our_objects(obj: object, name: str | None, kind: str, reflected: bool,
                         compare_to: object) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in ours

    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": only_ours,
                                                     "include_object": only_our_objects})
        assert compare_metadata(context, Base.metadata) == []
