"""Structured log lines of the transport: one event name plus key=value fields, never a secret.

Each record carries the fields as ``record.p2p`` (a dict) for log shippers, and the message repeats them
as ``event key=value …`` for people reading a console. Session keys and identity seeds are never passed
here; node ids are public keys.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("node.p2p")


def log_event(level: int, event: str, **fields: object) -> None:
    if not logger.isEnabledFor(level):
        return
    text = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.log(level, "%s %s", event, text, extra={"p2p": {"event": event, **fields}})
