"""childshield.signals (see DESIGN.md)."""
