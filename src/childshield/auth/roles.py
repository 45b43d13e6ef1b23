"""Sides (provider, centre) and the roles that exist on each.

A tenant belongs to one side; its users and API keys hold roles of that side only. Role
names are plain words (``reviewer``); ``admin`` and ``auditor`` exist on both sides, so
code that must be unambiguous writes them qualified (``provider:admin``).

Provider side: ``integration`` (a service calling the API with a key), ``reviewer``,
``supervisor``, ``admin``, ``auditor``.
Centre side: ``analyst``, ``authority`` (a competent authority), ``provider`` (a registered
provider submitting reports and pulling indicator lists, with a key), ``admin``, ``auditor``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from childshield.errors import InputError


class Side(StrEnum):
    PROVIDER = "provider"
    CENTRE = "centre"


ROLES: dict[Side, tuple[str, ...]] = {
    Side.PROVIDER: ("integration", "reviewer", "supervisor", "admin", "auditor"),
    Side.CENTRE: ("analyst", "authority", "provider", "admin", "auditor"),
}


def parse_side(value: str) -> Side:
    try:
        return Side(value)
    except ValueError:
        raise InputError(f"unknown side {value!r}; expected 'provider' or 'centre'") from None


def validate_roles(side: Side, roles: Iterable[str]) -> tuple[str, ...]:
    """Return ``roles`` de-duplicated in canonical order, or raise naming the unknown one."""
    wanted = {r.strip().lower() for r in roles if r.strip()}
    if not wanted:
        raise InputError("at least one role is required")
    for role in sorted(wanted):
        if role not in ROLES[side]:
            raise InputError(
                f"unknown {side} role {role!r}; {side} roles are: {', '.join(ROLES[side])}"
            )
    return tuple(r for r in ROLES[side] if r in wanted)


def resolve_qualified(roles: Iterable[str]) -> tuple[Side, frozenset[str]]:
    """Resolve role names for a ``require(...)`` declaration to one side.

    Each name is ``side:role`` or a bare role that exists on one side only. Raises
    ``ValueError`` (a programming error, caught at import time) for unknown or mixed-side
    or ambiguous names.
    """
    sides: set[Side] = set()
    names: set[str] = set()
    for raw in roles:
        if ":" in raw:
            side_name, role = raw.split(":", 1)
            side = Side(side_name)
            if role not in ROLES[side]:
                raise ValueError(f"unknown {side} role {role!r}")
            sides.add(side)
        else:
            role = raw
            owners = [s for s in Side if role in ROLES[s]]
            if not owners:
                raise ValueError(f"unknown role {role!r}")
            if len(owners) > 1:
                raise ValueError(f"role {role!r} exists on both sides; write 'provider:{role}' "
                                 f"or 'centre:{role}'")
            sides.add(owners[0])
        names.add(role)
    if len(sides) != 1:
        raise ValueError(f"roles {sorted(roles)!r} must name exactly one side")
    return sides.pop(), frozenset(names)


__all__ = ["ROLES", "Side", "parse_side", "resolve_qualified", "validate_roles"]
