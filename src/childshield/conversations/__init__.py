"""childshield.conversations (see DESIGN.md)."""
