"""Static files (CSS, JS, sample images) under each console: ``/{side}/console/static``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from childshield.auth.roles import Side

STATIC_DIR = Path(__file__).parent / "static"


def mount_static(app: FastAPI, side: Side) -> None:
    app.mount(f"/{side}/console/static", StaticFiles(directory=STATIC_DIR),
              name=f"{side}-static")


__all__ = ["STATIC_DIR", "mount_static"]
