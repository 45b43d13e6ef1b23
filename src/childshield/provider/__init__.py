"""childshield.provider (see DESIGN.md)."""
