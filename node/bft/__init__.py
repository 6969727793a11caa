"""Besu-compatible BFT block format: QBFT extraData, header hashing, commit seals, seal validation."""
