"""Centre console pages (under /centre/console) and the public victims' page."""
