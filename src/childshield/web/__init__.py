"""childshield.web (see DESIGN.md)."""
