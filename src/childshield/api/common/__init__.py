"""API routes served on both sides (mounted under /provider/v1 and /centre/v1)."""
