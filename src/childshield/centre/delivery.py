"""Outbound delivery of signed referral packages to Europol and national authorities.

A :class:`ReferralSink` takes one recipient and one signed package and returns a
reference (where it went), or raises :class:`DeliveryError`. Built in:

* :class:`FileSink`: writes ``<dir>/<recipient id>/<referral id>.json`` atomically (for
  recipients collected by another channel, and the default when no endpoint is known);
* :class:`HttpSink`: POSTs the package as JSON to the recipient's ``endpoint`` with the
  referral id as ``Idempotency-Key`` (HTTPS only unless ``allow_http`` is set, for tests
  and sandboxes; outbound connections fail closed);
* :class:`RoutingSink`: HTTP for recipients with an endpoint, file for the others.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from childshield.errors import ChildshieldError
from childshield.exchange.referral import Recipient


class DeliveryError(ChildshieldError):
    """A package could not be handed to a recipient (recorded; can be retried)."""

    status, slug, title, safe = 502, "delivery-failed", "Delivery failed", True


class ReferralSink(Protocol):
    name: str

    def deliver(self, recipient: Recipient, referral_id: str, envelope: dict[str, Any]) -> str:
        """Hand the package over; return a reference (path, URL, receipt id)."""
        ...


class FileSink:
    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, recipient: Recipient, referral_id: str, envelope: dict[str, Any]) -> str:
        folder = self.directory / recipient.id
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{referral_id}.json"
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(envelope, handle, ensure_ascii=False, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise DeliveryError(f"cannot write referral for {recipient.id}: {exc}") from exc
        return str(target)


class HttpSink:
    name = "http"

    def __init__(self, *, allow_http: bool = False, timeout: float = 30.0) -> None:
        self.allow_http = allow_http
        self.timeout = timeout

    def deliver(self, recipient: Recipient, referral_id: str, envelope: dict[str, Any]) -> str:
        import httpx

        url = recipient.endpoint or ""
        if not url.startswith("https://") and not (self.allow_http and
                                                   url.startswith("http://")):
            raise DeliveryError(
                f"{recipient.id}: endpoint {url!r} is not HTTPS (plain HTTP needs "
                "CHILDSHIELD_CENTRE_REFERRAL_ALLOW_HTTP, for tests only)"
            )
        try:
            response = httpx.post(url, json=envelope, timeout=self.timeout,
                                  headers={"Idempotency-Key": referral_id})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{recipient.id}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"{recipient.id}: endpoint answered {response.status_code}")
        return f"{url} {response.status_code}"


class RoutingSink:
    """HTTP for recipients with an endpoint, a file for the others."""

    name = "routing"

    def __init__(self, file: FileSink, http: HttpSink) -> None:
        self.file = file
        self.http = http

    def adapter_for(self, recipient: Recipient) -> ReferralSink:
        return self.http if recipient.endpoint else self.file

    def deliver(self, recipient: Recipient, referral_id: str, envelope: dict[str, Any]) -> str:
        return self.adapter_for(recipient).deliver(recipient, referral_id, envelope)


def default_sink(referral_dir: Path, *, allow_http: bool = False) -> RoutingSink:
    """The deployment's sink: HTTPS to endpoints, files under ``referral_dir`` otherwise."""
    return RoutingSink(FileSink(referral_dir), HttpSink(allow_http=allow_http))


__all__ = [
    "DeliveryError",
    "FileSink",
    "HttpSink",
    "ReferralSink",
    "RoutingSink",
    "default_sink",
]
