"""The ``at`` parameter: the moment a permit or issuer is judged at, as people and programs write it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from registry_api.verification.exceptions import VerificationInputError

MAX_MOMENT_CHARS = 64


def parse_moment(text: str, tz: ZoneInfo) -> dt.datetime:
    """Unix seconds, an ISO date (00:00 local in ``tz``) or an ISO date-time (local in ``tz`` if naive)."""
    value = text.strip()
    if not value or len(value) > MAX_MOMENT_CHARS:
        raise VerificationInputError("'at' must be unix seconds, YYYY-MM-DD or an ISO date-time")
    if value.isdigit():
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    try:
        if len(value) == len("YYYY-MM-DD"):
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0, 0), tzinfo=tz)
        moment = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError) as exc:
        raise VerificationInputError(f"'at' is not a date or time: {value!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
