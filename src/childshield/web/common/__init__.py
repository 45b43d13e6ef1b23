"""Console pages served on both sides: login, logout, home, the UI kit."""
