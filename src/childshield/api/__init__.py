"""childshield.api (see DESIGN.md)."""
