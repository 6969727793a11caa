#!/usr/bin/env python3
"""Benchmark the registry service: calendar arithmetic, signed intake, and a full permit flow.

Prints figures only (no asserts). Uses a throw-away SQLite database (or --database-url) and a fresh
RSA dev PKI; signatures are made and verified for real through kz_eds.

    .venv/bin/python scripts/bench/api_workflow.py [-n 50] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient-over-httpx deprecation notice
    from fastapi.testclient import TestClient

from registry_api.core.config import load_settings  # noqa: E402
from registry_api.main import create_app  # noqa: E402
from registry_api.services.auth import Principal, issue_token  # noqa: E402
from registry_api.services.signatures import build_ports  # noqa: E402
from registry_api.services.workflow import Role  # noqa: E402
from tests.registry_api.pki import make_pki  # noqa: E402
from tests.registry_api.submissions import submission  # noqa: E402

ASTANA = ZoneInfo("Asia/Almaty")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="requests to submit and carry to a permit")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    now = dt.datetime(2025, 2, 12, 10, tzinfo=ASTANA)
    started = time.perf_counter()
    pki = make_pki(work / "pki", algorithm="RSA-SHA256", at=now - dt.timedelta(days=1))
    print(f"dev PKI (RSA) generated in {time.perf_counter() - started:.2f} s")

    settings = load_settings(
        environment="test",
        database_url=args.database_url or f"sqlite:///{work / 'bench.sqlite3'}",
        **pki.settings(),
    )
    cal = settings.calendar
    day = dt.date(2025, 1, 1)
    started = time.perf_counter()
    count = 20000
    for i in range(count):
        cal.add_working_days(day + dt.timedelta(days=i % 700), 5)
    elapsed = time.perf_counter() - started
    print(f"calendar: add_working_days(d, 5) {count / elapsed:,.0f} /s")

    verifier, head = build_ports(settings)
    app = create_app(settings, verifier=verifier, head_signer=head, clock=lambda: now)
    client = TestClient(app)
    signer = pki.signing("legal_first_head")
    applicant = Principal(iin=signer.iin, bin=pki.entity_bin, role=Role.APPLICANT)

    def auth(principal: Principal) -> dict[str, str]:
        token, _ = issue_token(principal, secret=settings.secret_bytes(), now=now, ttl_seconds=900)
        return {"Authorization": f"Bearer {token}"}

    officer = auth(Principal(iin=pki.staff("officer").iin, bin=pki.regulator_bin, role=Role.OFFICER))
    head_h = auth(Principal(iin=pki.signing("regulator_head").iin, bin=pki.regulator_bin, role=Role.HEAD))
    bodies = [
        submission(signer, applicant_id=pki.entity_bin, legal_entity=True, at=now) for _ in range(args.n)
    ]

    started = time.perf_counter()
    numbers = []
    for body in bodies:
        response = client.post("/v1/applications", json=body, headers=auth(applicant))
        response.raise_for_status()
        numbers.append(response.json()["number"])
    intake = time.perf_counter() - started
    print(f"intake (verify CMS + commit): {args.n / intake:.1f} req/s, {1000 * intake / args.n:.1f} ms each")

    started = time.perf_counter()
    for number in numbers:
        base = f"/v1/regulator/requests/{number}"
        for path, body in (("register", {}), ("completeness", {"complete": True}), ("approve", {})):
            client.post(f"{base}/{path}", json=body, headers=officer).raise_for_status()
        client.post(f"{base}/sign", headers=head_h).raise_for_status()
    flow = time.perf_counter() - started
    print(f"workflow to a signed permit (4 steps, PDF + CMS): {1000 * flow / args.n:.1f} ms per request")

    started = time.perf_counter()
    late = client.get("/v1/regulator/requests?status=late", headers=officer)
    print(f"late/at-risk listing over {args.n} requests: {1000 * (time.perf_counter() - started):.1f} ms")
    late.raise_for_status()
    client.close()


if __name__ == "__main__":
    main()
