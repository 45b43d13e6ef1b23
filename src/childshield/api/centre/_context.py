"""Per-app centre objects for the routers: configuration, indicator check, delivery.

Built lazily on first use and kept on ``app.state`` (tests may put their own there, e.g. a
delivery sink that records what it was handed).
"""

from __future__ import annotations

from fastapi import Request

from childshield.api.deps import get_app_settings, get_database
from childshield.centre.config import CentreConfig
from childshield.centre.delivery import ReferralSink, default_sink
from childshield.centre.preassess import BankCheck, IndicatorCheck
from childshield.centre.referral_outbox import DeliveryWorker


def centre_config(request: Request) -> CentreConfig:
    state = request.app.state
    config = getattr(state, "centre_config", None)
    if config is None:
        config = CentreConfig.from_settings(get_app_settings(request))
        state.centre_config = config
    assert isinstance(config, CentreConfig)
    return config


def indicator_check(request: Request) -> IndicatorCheck:
    state = request.app.state
    check = getattr(state, "centre_indicator_check", None)
    if check is None:
        check = BankCheck(get_database(request), centre_config(request).bank)
        state.centre_indicator_check = check
    return check


def referral_sink(request: Request) -> ReferralSink:
    state = request.app.state
    sink = getattr(state, "centre_referral_sink", None)
    if sink is None:
        config = centre_config(request)
        sink = default_sink(config.referral_dir, allow_http=config.allow_http)
        state.centre_referral_sink = sink
    return sink


def referral_worker(request: Request) -> DeliveryWorker:
    """Delivers a referral's outbox rows once, right after its decision committed (the
    ``childshield centre deliver`` job does the retries)."""
    state = request.app.state
    worker = getattr(state, "centre_referral_worker", None)
    if worker is None:
        worker = DeliveryWorker(get_database(request), centre_config(request),
                                referral_sink(request))
        state.centre_referral_worker = worker
    assert isinstance(worker, DeliveryWorker)
    return worker


__all__ = ["centre_config", "indicator_check", "referral_sink", "referral_worker"]
