"""Issue 8's end-to-end scenario on real processes: apply, check the platform, sign, anchor, verify, revoke.

A FRESH stack (:mod:`registry_api.dev_stack`: dev PKI, five regulator validators, the registries) and
a SECOND five-validator devnet standing for the applicant's platform; the registry API runs as a
subprocess (``permitchain api``) on a free port. Every step goes through the public HTTP API with
httpx, exactly as a portal, the regulator's staff or a verifier would (no shortcut into the database);
the last verifier uses ``permitchain verify`` straight against a node. Each step prints ✓/✗ and its
time; the first failure ends the run with exit 1. Whatever happens (a failure, Ctrl-C, SIGTERM), the
API and both devnets are stopped in ``finally``.

The client parts that a real portal does in the user's browser (signing with the user's EDS key) use
the dev PKI's keys through :mod:`kz_eds`, and the signed bytes are the RFC 8785 form the service
documents (:func:`registry_api.services.applications.canonical_form_bytes`, a pure function).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final, TextIO

import httpx
import uvicorn

from kz_eds.dev_pki import DevPki
from kz_eds.signing import sign_cms
from node.devnet import network
from registry_api import dev_stack
from registry_api.calendar import WorkingCalendar
from registry_api.core.config import Settings, load_settings
from registry_api.deps import Clock
from registry_api.exceptions import RegistryError
from registry_api.main import create_app
from registry_api.models.schemas import ApplicationForm
from registry_api.services.applications import canonical_form_bytes
from registry_api.services.signatures import build_ports

ALGORITHM: Final = "RSA-SHA256"
OFFICE_START_MARGIN: Final = dt.timedelta(minutes=30)
API_START_TIMEOUT_SECONDS: Final = 90.0
ANCHOR_TIMEOUT_SECONDS: Final = 120.0
HTTP_TIMEOUT_SECONDS: Final = 120.0  # the platform check probes for its liveness window
LIVENESS_WINDOW_SECONDS: Final = "8"  # the applicant devnet seals a block every second
APPLICANT_BLOCK_PERIOD_SECONDS: Final = 1
REVOCATION_REASON_CODE: Final = 3
REVOCATION_REASON: Final = "Demo: the platform stopped meeting the conditions of the permit"
BACKING: Final = b"%PDF-1.4 demo: extract from the State Register of Trademarks No. 12345"
LETTER: Final = b"Guarantee letter: we run five nodes of one blockchain network with QBFT consensus."


class DemoFailed(RegistryError):
    """A step of the demo did not behave as the scenario requires."""

    code = "demo_failed"
    status = 500


@dataclass
class StepLog:
    """Prints each step as it ends and keeps the results (for the summary and the exit status)."""

    out: TextIO = sys.stdout
    results: list[tuple[str, bool, float]] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except BaseException as exc:
            elapsed = time.monotonic() - started
            self.results.append((name, False, elapsed))
            detail = exc.message if isinstance(exc, RegistryError) else f"{type(exc).__name__}: {exc}"
            print(f"✗ {name}  ({elapsed:.1f} s)\n    {detail}", file=self.out, flush=True)
            raise
        elapsed = time.monotonic() - started
        self.results.append((name, True, elapsed))
        print(f"✓ {name}  ({elapsed:.1f} s)", file=self.out, flush=True)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailed(message)


def ok_json(response: httpx.Response, what: str, status: int = 200) -> Any:
    """The JSON body of an expected answer, or a failure naming the problem the API reported."""
    if response.status_code != status:
        raise DemoFailed(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response.json()


@dataclass
class Client:
    """One person using the API with their EDS authentication key (a token after login)."""

    http: httpx.Client
    pki: DevPki
    identity: str
    token: str = ""

    def login(self, now: dt.datetime) -> str:
        challenge = ok_json(self.http.post("/v1/auth/challenge"), "challenge")
        nonce = str(challenge["nonce"])
        cms = sign_cms(
            nonce.encode(), self.pki.signer(ALGORITHM, self.identity), signing_time=now, detached=True
        )
        body = {"nonce": nonce, "signature_base64": base64.b64encode(cms).decode()}
        answer = ok_json(self.http.post("/v1/auth/token", json=body), f"login of {self.identity}")
        self.token = str(answer["access_token"])
        return str(answer["role"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
        return self.http.post(path, json=body or {}, headers={**self.headers, **headers})


def application_form(entity_bin: str, organisation: str, signer_name: str) -> dict[str, Any]:
    """An Annex 2 form of the dev PKI's legal entity, listing both attached files by SHA-256."""
    return {
        "applicant_kind": "legal_entity",
        "applicant_name": organisation,
        "requisites": {
            "address": "010000, Астана, ул. Сығанақ, 10",
            "iin_bin": entity_bin,
            "phone": "+7 717 200 00 00",
            "email": "office@platform.example.kz",
        },
        "addressee": "Министру цифрового развития, инноваций и аэрокосмической промышленности РК",
        "application_number": "1",
        "application_date": dt.date.today().isoformat(),
        "platform_name": "DAP Exchange (demo)",
        "purpose": "Выпуск обеспеченных цифровых активов, удостоверяющих права на товары",
        "activity_addresses": [
            {
                "postal_code": "010000",
                "region": "Астана",
                "city": "Астана",
                "street": "ул. Сығанақ",
                "building": "10",
            }
        ],
        "attached_documents": [
            {"kind": "backing", "title": "Выписка из реестра товарных знаков", "sha256": _sha(BACKING)},
            {"kind": "guarantee_letter", "title": "Гарантийное письмо", "sha256": _sha(LETTER)},
        ],
        "information_reliable": True,
        "secrets_consent": True,
        "signer_full_name": signer_name,
    }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def submission(pki: DevPki, *, node_endpoints: Sequence[str], now: dt.datetime) -> dict[str, Any]:
    """The signed application as the portal posts it: form, CMS over its RFC 8785 bytes, two files."""
    entity = pki.manifest["legal_entity"]
    if not isinstance(entity, dict):
        raise DemoFailed("the dev PKI names no legal entity")
    head = pki.certificate(ALGORITHM, "legal_first_head")
    signer_name = " ".join(
        str(head.subject.native.get(key, ""))
        for key in ("surname", "given_name")
        if head.subject.native.get(key)
    )
    form = application_form(str(entity["bin"]), str(entity["organisation"]), signer_name or "FIRST HEAD")
    signed = canonical_form_bytes(ApplicationForm.model_validate(form))
    cms = sign_cms(signed, pki.signer(ALGORITHM, "legal_first_head"), signing_time=now, detached=True)
    return {
        "form": form,
        "signature_base64": base64.b64encode(cms).decode(),
        "attachments": [
            {
                "kind": "backing",
                "backing_kind": "trademark_register_extract",
                "filename": "extract.pdf",
                "content_type": "application/pdf",
                "content_base64": base64.b64encode(BACKING).decode(),
            },
            {
                "kind": "guarantee_letter",
                "filename": "letter.pdf",
                "content_type": "application/pdf",
                "content_base64": base64.b64encode(LETTER).decode(),
                "node_endpoints": list(node_endpoints),
            },
        ],
    }


def office_hours_offset(calendar: WorkingCalendar, now: dt.datetime) -> dt.timedelta:
    """How far to shift the service's clock so the scenario happens in office hours (R-REG-3).

    Registration is refused outside office hours (the request is received the next working day), so a
    demo run at night would stop there. The service's clock is moved back to half an hour after opening
    on today (when that has passed and today is a working day) or on the last working day before: the
    past, so the permit is already valid when a verifier judges it by the chain's real block times.
    """
    local = calendar.local(now)
    opening = dt.datetime.combine(local.date(), calendar.profile.working_time.start, tzinfo=local.tzinfo)
    target = opening + OFFICE_START_MARGIN
    if not calendar.is_working_day(local.date()) or local < target:
        day = local.date() - dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
        target = dt.datetime.combine(day, calendar.profile.working_time.start, tzinfo=local.tzinfo)
        target += OFFICE_START_MARGIN
    return min(target - now, dt.timedelta(0))


@dataclass
class ApiServer:
    """The registry API served by uvicorn in a thread of this process (stopped by :meth:`stop`)."""

    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def start_api(settings: Settings, *, port: int, clock: Clock) -> ApiServer:
    """The app ``permitchain api`` builds from the stack's settings, with the demo's office-hours clock."""
    verifier, head_signer = build_ports(settings)
    app = create_app(settings, verifier=verifier, head_signer=head_signer, clock=clock)
    config = uvicorn.Config(
        app, host=dev_stack.DEFAULT_HOST, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="registry-api", daemon=True)
    thread.start()
    return ApiServer(server, thread)


def wait_for_api(api: ApiServer, url: str) -> None:
    deadline = time.monotonic() + API_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not api.thread.is_alive():
            raise DemoFailed("the API stopped during start-up (see the messages above)")
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise DemoFailed(f"the API did not answer within {API_START_TIMEOUT_SECONDS:.0f} s")


def run_cli_verify(
    *,
    document: Path,
    signature: Path,
    rpc: str,
    prepared: dev_stack.PreparedStack,
    pki: DevPki,
    regulator_bin: str,
) -> tuple[int, dict[str, Any]]:
    """``permitchain verify --json`` against one node with only the regulator's roots: (exit, report)."""
    command = [
        sys.executable,
        "-m",
        "permitchain.cli",
        "verify",
        str(document),
        "--signature",
        str(signature),
        "--rpc",
        rpc,
        "--contracts",
        str(prepared.paths.contracts),
        "--trust-root",
        str(pki.ca_file(ALGORITHM, "root")),
        "--intermediate",
        str(pki.ca_file(ALGORITHM, "ca")),
        "--crl",
        str(pki.ca_file(ALGORITHM, "ca_crl")),
        "--crl",
        str(pki.ca_file(ALGORITHM, "root_crl")),
        "--regulator-bin",
        regulator_bin,
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)  # noqa: S603
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except ValueError as exc:
        raise DemoFailed(f"permitchain verify printed no report: {done.stderr.decode()[-500:]}") from exc
    return done.returncode, report


def check_of(report: dict[str, Any], code: str) -> dict[str, Any]:
    for check in report.get("checks", ()):
        if check.get("code") == code:
            found: dict[str, Any] = check
            return found
    raise DemoFailed(f"the report has no {code!r} check")


def run_demo(
    workdir: Path, *, nodes: int = 5, out: TextIO = sys.stdout, clock: Callable[[], dt.datetime] | None = None
) -> int:
    """Run the scenario in ``workdir``; return 0 when every step passed, 1 otherwise."""
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    log = StepLog(out)
    started = time.monotonic()
    paths = dev_stack.StackPaths(workdir / "regulator")
    platform_dir = workdir / "platform"
    api: ApiServer | None = None
    platform_up = False
    try:
        port = network.free_port()
        # A PKI kept from an earlier run may carry CRLs dated after this run's clock: always a new one.
        shutil.rmtree(paths.pki, ignore_errors=True)
        shift = office_hours_offset(load_settings(environment="dev").calendar, now())

        def service_now() -> dt.datetime:
            return now() + shift

        with log.step(f"regulator stack: dev PKI, {nodes}-validator devnet, registries deployed"):
            prepared = dev_stack.prepare(
                paths.root,
                now=service_now(),  # its CRLs must not be dated after the service's clock
                nodes=nodes,
                port=port,
                algorithms=[ALGORITHM],
                extra_environment={
                    "REGISTRY_PLATFORM_CHECK_LIVENESS_WINDOW_SECONDS": LIVENESS_WINDOW_SECONDS
                },
            )
        with log.step(f"applicant's platform: a second {nodes}-validator devnet"):
            platform_up = True
            if any(platform_dir.glob("node-*/node.json")):  # left by an earlier run in a kept folder
                network.down(platform_dir)
            shutil.rmtree(platform_dir, ignore_errors=True)
            platform = network.up(
                platform_dir, nodes=nodes, dev_accounts=1, empty_block_period=APPLICANT_BLOCK_PERIOD_SECONDS
            )
        os.environ.update(prepared.environment)  # settings are read exactly as the service reads them
        settings = load_settings()

        with log.step(
            f"registry API started at {prepared.api_url} (its clock: {service_now():%Y-%m-%d %H:%M} UTC)"
        ):
            api = start_api(settings, port=port, clock=service_now)
            wait_for_api(api, prepared.api_url)
        pki = DevPki.load(paths.pki)
        regulator = pki.manifest["regulator"]
        regulator_bin = str(regulator["bin"]) if isinstance(regulator, dict) else ""
        with httpx.Client(base_url=prepared.api_url, timeout=HTTP_TIMEOUT_SECONDS) as http:
            scenario(
                log,
                http,
                prepared=prepared,
                pki=pki,
                regulator_bin=regulator_bin,
                platform_rpc=platform["rpc"],
                workdir=workdir,
                now=service_now,
            )
    except (Exception, KeyboardInterrupt) as exc:
        if not log.results or log.results[-1][1]:  # not already reported by a step
            print(f"✗ {type(exc).__name__}: {exc}", file=out, flush=True)
        return 1
    finally:
        with dev_stack.signals_held():
            if api is not None:
                api.stop()
            stopped = dev_stack.down(paths.root)
            if platform_up and any(platform_dir.glob("node-*/node.json")):
                stopped += network.down(platform_dir)
            print(f"stopped the API and {len(stopped)} node processes", file=out, flush=True)
    total = time.monotonic() - started
    print(f"all {len(log.results)} steps passed in {total:.1f} s", file=out, flush=True)
    return 0


def scenario(
    log: StepLog,
    http: httpx.Client,
    *,
    prepared: dev_stack.PreparedStack,
    pki: DevPki,
    regulator_bin: str,
    platform_rpc: Sequence[str],
    workdir: Path,
    now: Callable[[], dt.datetime],
) -> None:
    """The steps of issue 8 after the processes run (each a real HTTP call or a real CLI run)."""
    applicant = Client(http, pki, "legal_first_head_auth")
    officer = Client(http, pki, "regulator_officer")
    head = Client(http, pki, "regulator_head_auth")
    with log.step("applicant (legal entity's first head) logs in with EDS"):
        role = applicant.login(now())
        expect(role == "applicant", f"the applicant logged in as {role!r}")
    with log.step("applicant submits the EDS-signed Annex 2 application (guarantee letter lists 5 nodes)"):
        body = submission(pki, node_endpoints=platform_rpc, now=now())
        answer = ok_json(
            applicant.post("/v1/applications", body, **{"Idempotency-Key": uuid.uuid4().hex}),
            "submit",
            201,
        )
        number = str(answer["number"])
    with log.step(f"officer logs in and registers request {number}"):
        expect(officer.login(now()) == "officer", "the officer's login did not give the officer role")
        ok_json(officer.post(f"/v1/regulator/requests/{number}/register"), "register")
    with log.step("officer checks completeness (complete)"):
        ok_json(
            officer.post(f"/v1/regulator/requests/{number}/completeness", {"complete": True}), "completeness"
        )
    with log.step("officer runs the platform check (QBFT, 5 validators, f = 1)"):
        check = ok_json(officer.post(f"/v1/regulator/requests/{number}/platform-check"), "platform check")
        expect(check["verdict"] == "pass", f"platform check verdict {check['verdict']}: {check['reasons']}")
    with log.step("officer approves"):
        ok_json(officer.post(f"/v1/regulator/requests/{number}/approve"), "approve")
    with log.step("head logs in and signs the permit"):
        expect(head.login(now()) == "head", "the head's login did not give the head role")
        signed = ok_json(head.post(f"/v1/regulator/requests/{number}/sign"), "sign")
        permits = [d for d in signed["documents"] if d["kind"] == "permit"]
        expect(len(permits) == 1, f"expected one permit document, got {signed['documents']}")
        permit_number = str(permits[0]["number"])
    with log.step(f"permit {permit_number} anchored on the regulator's chain"):
        entry = wait_anchored(head, permit_number)
        print(
            f"    block {entry['anchoring']['block_number']}, tx {entry['anchoring']['tx_hash']}",
            file=log.out,
        )
    with log.step("verifier: public API says valid"):
        report = ok_json(http.get(f"/v1/public/verify/{permit_number}"), "public verify")
        expect(report["verdict"] == "valid", f"verdict {report['verdict']}: {report.get('checks')}")
    with log.step("verifier: web page /verify/{number} says valid"):
        page = http.get(f"/verify/{permit_number}", params={"lang": "en"})
        expect(page.status_code == 200, f"page answered HTTP {page.status_code}")
        expect("The permit is valid" in page.text, "the page does not say the permit is valid")
    document = workdir / f"{permit_number}.json"
    signature = workdir / f"{permit_number}.json.p7s"
    with log.step("verifier: permitchain verify against a node says valid"):
        for suffix, target in (("json", document), ("p7s", signature)):
            got = applicant.get(f"/v1/applications/{number}/documents/{permit_number}.{suffix}")
            expect(got.status_code == 200, f"download .{suffix}: HTTP {got.status_code}")
            target.write_bytes(got.content)
        rpc = prepared.rpc_urls[-1]  # a validator the service did not write through
        code, cli_report = run_cli_verify(
            document=document,
            signature=signature,
            rpc=rpc,
            prepared=prepared,
            pki=pki,
            regulator_bin=regulator_bin,
        )
        expect(
            code == 0 and cli_report["verdict"] == "valid",
            f"CLI exit {code}, verdict {cli_report['verdict']}",
        )
    with log.step("head revokes the permit with a reason"):
        act = {"reason_code": REVOCATION_REASON_CODE, "reason": REVOCATION_REASON}
        revoked = ok_json(head.post(f"/v1/regulator/permits/{permit_number}/revoke", act), "revoke")
        expect(revoked["status"] == "revoked", f"the register says {revoked['status']}")
    with log.step("verifier: public API now says revoked, with the reason"):
        report = ok_json(http.get(f"/v1/public/verify/{permit_number}"), "public verify")
        status = check_of(report, "status")
        expect(report["verdict"] == "invalid", f"verdict {report['verdict']}")
        expect(status["reason_code"] == "revoked", f"status check {status}")
        expect(str(REVOCATION_REASON_CODE) in json.dumps(status), f"the reason is missing: {status}")
        print(f"    {status['reason']}", file=log.out)
    with log.step("verifier: permitchain verify now says revoked"):
        code, cli_report = run_cli_verify(
            document=document,
            signature=signature,
            rpc=prepared.rpc_urls[-1],
            prepared=prepared,
            pki=pki,
            regulator_bin=regulator_bin,
        )
        status = check_of(cli_report, "status")
        expect(code == 1 and status["reason_code"] == "revoked", f"CLI exit {code}, status check {status}")


def wait_anchored(head: Client, permit_number: str) -> dict[str, Any]:
    """Poll the register entry until the anchoring worker confirmed the permit on the chain."""
    deadline = time.monotonic() + ANCHOR_TIMEOUT_SECONDS
    entry: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = head.get(f"/v1/regulator/permits/{permit_number}")
        if response.status_code == 200:
            entry = response.json()
            if entry["anchoring"]["state"] == "anchored":
                return entry
            if entry["anchoring"]["state"] == "failed":
                raise DemoFailed(f"anchoring failed: {entry['anchoring']['last_error']}")
        time.sleep(0.5)
    raise DemoFailed(f"not anchored within {ANCHOR_TIMEOUT_SECONDS:.0f} s: {entry.get('anchoring')}")


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so ``finally`` stops the API and both devnets."""
    raise KeyboardInterrupt(f"signal {signum}")


def run_in(directory: Path | None) -> int:
    """Run in ``directory`` (kept for inspection) or in a temporary folder (removed afterwards)."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            return run_demo(directory)
        with tempfile.TemporaryDirectory(prefix="permitchain-demo-") as tmp:
            return run_demo(Path(tmp))
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m registry_api.demo [DIR]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    return run_in(Path(args[0]) if args else None)


if __name__ == "__main__":
    sys.exit(main())
