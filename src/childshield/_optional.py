"""Import heavy optional dependencies with an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from childshield.errors import DependencyMissingError

_EXTRA_FOR = {
    "av": "video",
    "dask": "dask",
    "distributed": "dask",
    "psycopg": "postgres",
    "fastapi": "service",
    "uvicorn": "service",
    "jinja2": "service",
    "httpx": "service",
    "argon2": "service",
    "cryptography": "service",
    "rfc8785": "service",
    "sklearn": "ml",
    "matplotlib": "plots",
}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise DependencyMissingError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRA_FOR.get(top, "all")
        raise DependencyMissingError(
            f"{module} is not installed; install it with: pip install 'childshield[{extra}]'"
        ) from exc


__all__ = ["require"]
