"""childshield.centre (see DESIGN.md)."""
