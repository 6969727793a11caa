"""permitchain: the shared core of the permit registry (CLI entry point, rule profile, error root)."""

from permitchain.keccak_backend import prefer_c_keccak

prefer_c_keccak()

__version__ = "0.1.0"
