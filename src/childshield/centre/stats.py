"""Transparency figures (Art. 83), computed from the data, with no personal data.

:func:`compute` returns one dict (``childshield centre stats --json``, the transparency
page); :func:`to_rows` flattens it into ``(section, key, value)`` rows for the CSV export.
Provider names appear (the Regulation asks for reports per provider); users, content,
signals and report ids never do.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from childshield.crypto.encoding import utc_iso
from childshield.store import centre as repo
from childshield.store import centre_indicators as indicator_repo
from childshield.store.banks import as_utc
from childshield.store.models.base import utcnow

NO_VICTIMS = "requests whose hashes the centre searched its reports for (Art. 20)"


def _hours(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "median_hours": None, "mean_hours": None, "max_hours": None}
    return {
        "count": len(values),
        "median_hours": round(statistics.median(values), 3),
        "mean_hours": round(statistics.fmean(values), 3),
        "max_hours": round(max(values), 3),
    }


def _indicators(session: Session) -> dict[str, int]:
    added, withdrawn = indicator_repo.counts(session)
    return {"added": added, "withdrawn": withdrawn, "active": added - withdrawn}


def _victims(session: Session) -> dict[str, Any]:
    """Victims' requests searched, and the removal notices (Art. 21) by their answer."""
    from childshield.store import centre_victims

    return {"count": centre_victims.assisted_count(session),
            "notices": centre_victims.notice_counts(session), "note": NO_VICTIMS}


def compute(session: Session, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    reports = repo.all_reports(session)
    providers = {p.id: p.provider_id for p in repo.list_providers(session)}
    status = Counter(r.status for r in reports)
    decided = status["forwarded"] + status["manifestly_unfounded"]
    to_assess = [
        (as_utc(r.assessed_at) - as_utc(r.received_at)).total_seconds() / 3600
        for r in reports if r.assessed_at is not None
    ]
    to_forward = [
        (as_utc(r.forwarded_at) - as_utc(r.received_at)).total_seconds() / 3600
        for r in reports if r.forwarded_at is not None
    ]
    groups = repo.group_sizes(session)
    orders = repo.orders(session)
    executed = [o for o in orders if o.status == "executed"]
    on_time = [o for o in executed if o.executed_at is not None
               and as_utc(o.executed_at) <= as_utc(o.deadline)]
    pending = [o for o in orders if o.status == "pending"]
    overdue = [o for o in pending if now > as_utc(o.deadline)]
    answered = len(executed) + sum(1 for o in orders if o.status == "not_executed")
    return {
        "generated_at": utc_iso(now),
        "reports": {
            "total": len(reports),
            "by_type": dict(sorted(Counter(r.abuse_type for r in reports).items())),
            "by_provider": dict(sorted(Counter(providers.get(r.provider_pk, "?")
                                               for r in reports).items())),
            "by_member_state": dict(sorted(Counter(r.member_state or "undetermined"
                                                   for r in reports).items())),
            "by_status": dict(sorted(status.items())),
            "urgent": sum(1 for r in reports if r.urgent),
            "pre_assessed_matching_centre_indicators": sum(
                1 for r in reports if r.pre_assessment == "matches_centre_indicators"),
        },
        "manifestly_unfounded": {
            "count": status["manifestly_unfounded"],
            "decided": decided,
            "share": round(status["manifestly_unfounded"] / decided, 4) if decided else None,
        },
        "time_to_assessment": _hours(to_assess),
        "time_to_forwarding": _hours(to_forward),
        "duplicates": {
            "items": len(groups),
            "reported_more_than_once": sum(1 for g in groups if g > 1),
            "max_reports_per_item": max(groups, default=0),
            "mean_reports_per_item": round(statistics.fmean(groups), 3) if groups else None,
            "distribution": {str(k): v for k, v in sorted(Counter(groups).items())},
        },
        "indicators": _indicators(session),
        "victims_assisted": _victims(session),
        "removal_orders": {
            "issued": len(orders),
            "executed": len(executed),
            "executed_within_24h": len(on_time),
            "not_executed": sum(1 for o in orders if o.status == "not_executed"),
            "pending": len(pending),
            "overdue": len(overdue),
            "compliance": round(len(on_time) / answered, 4) if answered else None,
        },
    }


def to_rows(stats: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(section, key, value)`` rows; nested mappings become dotted keys."""
    rows: list[tuple[str, str, str]] = []

    def walk(section: str, prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(section, f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            rows.append((section, prefix, "" if value is None else str(value)))

    for section, value in stats.items():
        if isinstance(value, dict):
            walk(section, "", value)
        else:
            rows.append((section, "", str(value)))
    return rows


def to_csv(stats: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "value"])
    writer.writerows(to_rows(stats))
    return out.getvalue()


__all__ = ["NO_VICTIMS", "compute", "to_csv", "to_rows"]
