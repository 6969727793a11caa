"""Durable storage: one LMDB environment, every block committed in one write transaction."""
