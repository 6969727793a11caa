"""Execution: py-evm's Prague VM with BFT headers, zero base fee, LMDB-backed chain database."""
