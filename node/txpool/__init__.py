"""The transaction pool: admission checks, nonce ordering with a future queue, replacement, limits."""
