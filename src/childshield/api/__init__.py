"""HTTP service: FastAPI apps for the provider and the EU Centre, one factory.

``create_app(role, database, settings)`` in :mod:`childshield.api.app`; authentication
and roles in :mod:`~childshield.api.auth`; problem+json in :mod:`~childshield.api.problems`;
Idempotency-Key in :mod:`~childshield.api.idempotency`; router discovery in
:mod:`~childshield.api.registry`. See docs/service.md and docs/api.md.
"""
