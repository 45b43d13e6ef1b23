"""childshield.scan (see DESIGN.md)."""
