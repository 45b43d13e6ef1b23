"""Which routers a deployment serves, found by package, like the CLI finds its verbs.

Meta's Hasher-Matcher-Actioner maps each deployment role onto routers; here each side is
a package, and every module in it that defines ``router`` (a FastAPI ``APIRouter``) is
mounted, so adding a domain's routes never means editing the app factory:

=============================  ==================================================
package                        mounted under
=============================  ==================================================
``childshield.api.provider``   ``/provider/v1``
``childshield.api.centre``     ``/centre/v1``
``childshield.api.common``     both ``/provider/v1`` and ``/centre/v1``
``childshield.web.provider``   ``/provider/console`` (or the module's ``PREFIX``,
                               relative to ``/provider``)
``childshield.web.centre``     ``/centre/console`` (or ``PREFIX``: the victims'
                               page uses ``PREFIX = "/victims"``)
``childshield.web.common``     both consoles
=============================  ==================================================

Modules whose name starts with ``_`` are skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter

from childshield.auth.roles import Side

Kind = Literal["api", "web"]

_PACKAGES: dict[tuple[Kind, str], str] = {
    ("api", "provider"): "childshield.api.provider",
    ("api", "centre"): "childshield.api.centre",
    ("api", "common"): "childshield.api.common",
    ("web", "provider"): "childshield.web.provider",
    ("web", "centre"): "childshield.web.centre",
    ("web", "common"): "childshield.web.common",
}


@dataclass(frozen=True)
class Mount:
    side: Side
    kind: Kind
    prefix: str
    router: APIRouter
    module: str


def _modules(package: str) -> list[tuple[str, object]]:
    pkg = importlib.import_module(package)
    found: list[tuple[str, object]] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        found.append((module.__name__, module))
    return found


def mounts_for(sides: list[Side]) -> list[Mount]:
    """Every router the given sides serve, with its prefix."""
    out: list[Mount] = []
    for side in sides:
        for kind in ("api", "web"):
            default = f"/{side}/v1" if kind == "api" else f"/{side}/console"
            for group in (str(side), "common"):
                for name, module in _modules(_PACKAGES[(kind, group)]):
                    router = getattr(module, "router", None)
                    if not isinstance(router, APIRouter):
                        continue
                    prefix = default
                    own = getattr(module, "PREFIX", None)
                    if kind == "web" and isinstance(own, str):
                        prefix = f"/{side}{own}"
                    out.append(Mount(side, kind, prefix, router, name))
    return out


__all__ = ["Mount", "mounts_for"]
