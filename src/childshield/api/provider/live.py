"""Live stream monitoring (role ``integration``): start, watch, stop.

* ``POST /provider/v1/live`` ``{"source", "bank", "frame_interval"}`` -> 201 the run; a
  matching frame opens an urgent ``known`` case (source ``live``).
* ``GET /provider/v1/live`` and ``GET /provider/v1/live/{id}``: state, recent events,
  cases opened.
* ``POST /provider/v1/live/{id}/stop``.

Runs live in the serving process (one per worker); another tenant's run is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from childshield import audit
from childshield.api.auth import require
from childshield.api.deps import DbSession, get_app_settings, get_database
from childshield.api.idempotency import idempotent
from childshield.api.provider._context import detector, registry
from childshield.api.schemas import ObjectId
from childshield.auth.principal import Principal
from childshield.provider.detection import Detector
from childshield.provider.live import LiveRuns

router = APIRouter(prefix="/live", tags=["live streams"])


class LiveIn(BaseModel):
    source: str = Field(min_length=1, max_length=2000,
                        description="rtmp(s)/rtsp(s)/srt/http(s) URL, or a file name inside "
                        "<data_dir>/live-sources/")
    bank: str | None = Field(None, max_length=200)
    frame_interval: float = Field(1.0, ge=0.0, le=60.0)


def runs(request: Request, det: Detector = Depends(detector)) -> LiveRuns:
    settings = get_app_settings(request)
    database = get_database(request)
    value = registry(request, "provider_live",
                     lambda: LiveRuns(det.matcher, settings.data_dir, database.session))
    assert isinstance(value, LiveRuns)
    return value


@router.post("", status_code=201, summary="Start monitoring a live stream",
             dependencies=[idempotent])
def start(body: LiveIn, response: Response, session: DbSession,
          caller: Principal = require("integration"),
          live: LiveRuns = Depends(runs)) -> dict[str, Any]:
    run = live.start(caller, body.source, bank=body.bank, frame_interval=body.frame_interval)
    audit.record(session, caller, "live.start", "live_run", run.id)
    response.headers["Location"] = f"/provider/v1/live/{run.id}"
    return run.to_dict()


@router.get("", summary="Live runs of the caller's tenant")
def list_runs(caller: Principal = require("integration", "supervisor"),
              live: LiveRuns = Depends(runs)) -> dict[str, Any]:
    return {"runs": [r.to_dict() for r in live.list(caller)]}


@router.get("/{run_id}", summary="One live run")
def get_run(run_id: ObjectId, caller: Principal = require("integration", "supervisor"),
            live: LiveRuns = Depends(runs)) -> dict[str, Any]:
    return live.get(caller, run_id).to_dict()


@router.post("/{run_id}/stop", summary="Stop a live run", dependencies=[idempotent])
def stop(run_id: ObjectId, session: DbSession,
         caller: Principal = require("integration", "supervisor"),
         live: LiveRuns = Depends(runs)) -> dict[str, Any]:
    run = live.stop(caller, run_id)
    audit.record(session, caller, "live.stop", "live_run", run.id)
    return run.to_dict()
