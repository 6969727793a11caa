"""permitchain: the shared core of the permit registry (CLI entry point, rule profile, error root)."""

__version__ = "0.1.0"
