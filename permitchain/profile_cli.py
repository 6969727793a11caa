"""``permitchain profile``: show the rule profiles and which one is in force on a date."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from permitchain.errors import PermitChainError
from permitchain.rule_profile import (
    BUNDLED_PROFILES_DIR,
    DEFAULT_PROFILE_KEY,
    ProfileCatalog,
    RuleProfile,
)


def _profile_json(profile: RuleProfile) -> dict[str, object]:
    d = profile.deadlines
    return {
        "key": profile.key,
        "legal_act": profile.legal_act,
        "effective_from": profile.effective_from.isoformat(),
        "effective_until": profile.effective_until.isoformat() if profile.effective_until else None,
        "timezone": profile.timezone.key,
        "deadlines_working_days": {name: getattr(d, name) for name in d.__dataclass_fields__},
        "permit_validity_years": profile.permit_validity_years,
        "platform_min_nodes": profile.platform_min_nodes,
    }


def _show(args: argparse.Namespace) -> int:
    dirs = [BUNDLED_PROFILES_DIR, *args.profiles_dir]
    catalog = ProfileCatalog.from_dirs(dirs)
    if args.on is not None:
        try:
            day = dt.date.fromisoformat(args.on)
        except ValueError as exc:
            raise PermitChainError(f"--on must be a date YYYY-MM-DD, got {args.on!r}") from exc
        profile = catalog.in_force_on(day)
        if profile is None:
            raise PermitChainError(f"no rule profile is in force on {day.isoformat()}")
    else:
        profile = catalog.get(args.key)
    print(json.dumps(_profile_json(profile), ensure_ascii=False, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("profile", help="show a rule profile (deadlines, node minimum)")
    parser.add_argument("--key", default=DEFAULT_PROFILE_KEY, help="profile key, e.g. kz-130-nk@2")
    parser.add_argument("--on", help="pick the profile in force on this date instead")
    parser.add_argument(
        "--profiles-dir", type=Path, action="append", default=[], help="extra profile directory"
    )
    parser.set_defaults(handler=_show)
