"""childshield.index (see DESIGN.md)."""
