"""Fuzz every API operation from its OpenAPI schema with schemathesis.

Guards against: any input producing a 500, responses that do not match the documented
schema or content type (problem+json for errors), schema-invalid requests accepted.
(``positive_data_acceptance`` is off: a schema-valid request may still name an object that
does not exist or a role of the other side, and must then get a 4xx.) Runs with keys
holding every role of each side, so the fuzzer reaches the handlers, not just the 401s.
Deterministic by default (stable CI); ``FUZZ_RANDOM=1`` explores new inputs each run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from childshield.api.testing import LiveServer, add_tenant_with_key, bearer  # noqa: E402
from childshield.auth.roles import ROLES, Side  # noqa: E402

pytestmark = pytest.mark.slow


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    """Streaming endpoints take one JSON document a line; the schema types the body as a
    string, so send the generated text as it is (junk included: it must give per-line errors)."""
    return value.encode() if isinstance(value, str) else str(value).encode()


@pytest.fixture(scope="module")
def fuzz_target(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    from pydantic import SecretStr

    from childshield.crypto.keyring import EvidenceKey
    from childshield.crypto.sealing import SealingKey
    from childshield.crypto.signing import SigningKey
    from childshield.settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'db.sqlite'}"
    settings = Settings(  # a fully configured deployment: keys for signing and sealing
        signing_key=SecretStr(SigningKey.generate().to_base64()),
        evidence_keys=SecretStr(EvidenceKey.generate("ek-fuzz").to_spec()),
        centre_private_key=SecretStr(SealingKey.generate().to_base64()),
        centre_referral_dir=tmp_path_factory.mktemp("referrals"),
    )
    server = LiveServer.start("all", url, settings=settings)
    keys = {
        side.value: add_tenant_with_key(server.database, f"fuzz-{side}", side, list(ROLES[side]))
        for side in Side
    }
    yield server, keys
    server.stop()


def test_api_never_errors(fuzz_target: tuple[LiveServer, dict[str, str]]) -> None:
    # Driven by hand rather than through schemathesis' pytest plugin, which does not
    # support this pytest version yet.
    from hypothesis import given
    from schemathesis.checks import positive_data_acceptance

    server, keys = fuzz_target
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        headers = bearer(keys[operation.path.split("/")[1]])

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  derandomize=not os.environ.get("FUZZ_RANDOM"),
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(base_url=server.url, headers=headers,  # noqa: B023
                                   excluded_checks=[positive_data_acceptance])

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
