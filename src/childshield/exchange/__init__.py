"""childshield.exchange (see DESIGN.md)."""
