"""EU Centre API routers (mounted under /centre/v1). One module per domain, each with a
``router``; see childshield.api.registry."""
