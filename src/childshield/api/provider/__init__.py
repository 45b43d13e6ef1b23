"""Provider API routers (mounted under /provider/v1). One module per domain, each with a
``router``; see childshield.api.registry."""
