"""The verification web page: ``GET /verify`` (upload form), ``POST /verify`` (its result) and
``GET /verify/{number}`` (the URL in the permit's QR code). Server-rendered HTML with inline CSS: no
JavaScript, no external assets, so it works on any phone and behind any content policy."""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from permitchain.errors import PermitChainError
from registry_api.deps import NowDep, SessionDep
from registry_api.exceptions import RegistryError
from registry_api.public.api import PublicDep, read_upload, verify_uploaded
from registry_api.public.labels import CHECKS, OUTCOMES, REASONS, UI, VERDICTS, negotiate, pick
from registry_api.verification.report import VerificationReport

router = APIRouter(tags=["public page"], include_in_schema=False)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
  background:#f4f6f8;color:#1b1f23}
main{max-width:880px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:0 0 4px}p.sub{margin:0 0 20px;color:#4a5560}
.verdict{padding:16px 20px;border-radius:8px;font-size:1.35rem;font-weight:700;margin:16px 0}
.valid{background:#e3f4e8;color:#135c2b;border:2px solid #2e8b4e}
.invalid{background:#fde7e7;color:#8a1212;border:2px solid #c62828}
.unconfirmed{background:#fff5db;color:#6b4a00;border:2px solid #d39e00}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:10px 12px;border-bottom:1px solid #e1e4e8;vertical-align:top;
  overflow-wrap:anywhere}
th{background:#eef1f4;font-size:.9rem}
td.o-pass{color:#135c2b;font-weight:700}td.o-fail{color:#8a1212;font-weight:700}td.o-unknown{color:#6b4a00;font-weight:700}
small{color:#57606a}code{word-break:break-all;font-size:.85rem}
form{background:#fff;padding:16px 20px;border-radius:8px;display:grid;gap:10px;max-width:560px}
label{font-weight:600}input[type=text]{padding:6px;font-size:1rem}
button{padding:8px 16px;font-size:1rem;background:#0b5cad;color:#fff;border:0;border-radius:6px}
nav a{margin-right:12px}.error{background:#fde7e7;padding:12px;border-radius:8px;color:#8a1212}
"""


# Nothing but this page's own inline CSS and its own form: no scripts, no outside origins, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _html(content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status, headers=SECURITY_HEADERS)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(lang: str, body: str, *, path: str) -> str:
    langs = " ".join(
        f'<a href="{_e(path)}?lang={code}" hreflang="{code}">{code.upper()}</a>'
        for code in ("kk", "ru", "en")
    )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(pick(UI['title'], lang))}</title><style>{CSS}</style></head><body><main>"
        f"<nav>{langs}</nav><h1>{_e(pick(UI['title'], lang))}</h1>"
        f'<p class="sub">{_e(pick(UI["subtitle"], lang))}</p>{body}'
        f"<p><small>{_e(pick(UI['source'], lang))}</small></p></main></body></html>"
    )


def _form(lang: str) -> str:
    def field(name: str, kind: str = "text") -> str:
        label = f'<label for="{name}">{_e(pick(UI[name], lang))}</label>'
        return f'{label}<input type="{kind}" id="{name}" name="{name}">'

    return (
        f'<form method="post" action="/verify?lang={lang}" enctype="multipart/form-data">'
        f"{field('number')}{field('document', 'file')}{field('signature', 'file')}"
        f"{field('hash')}{field('at')}"
        f'<button type="submit">{_e(pick(UI["submit"], lang))}</button></form>'
    )


def _reason(check: dict[str, Any], lang: str) -> str:
    table = REASONS.get((check["code"], check["reason_code"]))
    if table is None:
        return _e(check["reason"])
    try:
        text = pick(table, lang).format(**{k: v for k, v in check["details"].items() if v is not None})
    except (KeyError, IndexError):
        return _e(check["reason"])
    return f"{_e(text)}<br><small>{_e(check['reason'])}</small>"


def render_report(report: VerificationReport, lang: str) -> str:
    data = report.as_json()
    verdict = data["verdict"]
    rows = "".join(
        f'<tr data-check="{_e(c["code"])}" data-outcome="{_e(c["outcome"])}">'
        f"<td>{_e(pick(CHECKS[c['code']], lang))}</td>"
        f'<td class="o-{_e(c["outcome"])}">{_e(pick(OUTCOMES[c["outcome"]], lang))}</td>'
        f"<td>{_reason(c, lang)}</td></tr>"
        for c in data["checks"]
    )
    notes = ""
    if data["notes"]:
        items = "".join(f"<li>{_e(n['message'])}</li>" for n in data["notes"])
        notes = f"<h2>{_e(pick(UI['notes'], lang))}</h2><ul>{items}</ul>"
    number = f"<p>{_e(pick(UI['number'], lang))}: <b>{_e(data['permit_number'] or '—')}</b><br>" + (
        f"SHA-256: <code>{_e(data['permit_hash'])}</code></p>" if data["permit_hash"] else "</p>"
    )
    return (
        f'<div class="verdict {_e(verdict)}" id="verdict" data-verdict="{_e(verdict)}">'
        f"{_e(pick(VERDICTS[verdict], lang))}</div>{number}"
        f"<table><thead><tr><th>{_e(pick(UI['check'], lang))}</th><th>{_e(pick(UI['result'], lang))}</th>"
        f"<th>{_e(pick(UI['details'], lang))}</th></tr></thead><tbody>{rows}</tbody></table>{notes}"
        f"<p><small>{_e(pick(UI['checked_at'], lang))}: {_e(data['at'])}</small></p>"
        f'<p><a href="/verify?lang={lang}">{_e(pick(UI["again"], lang))}</a></p>'
    )


def _error(exc: PermitChainError, lang: str) -> str:
    title = _e(pick(UI["error"], lang))
    return f'<div class="error" id="error" data-code="{_e(exc.code)}">{title}: {_e(exc.message)}</div>'


LangQuery = Annotated[str | None, Query(max_length=5)]
AcceptLanguage = Annotated[str | None, Header(max_length=512)]


@router.get("/verify", response_class=HTMLResponse)
def form_page(lang: LangQuery = None, accept_language: AcceptLanguage = None) -> HTMLResponse:
    chosen = negotiate(lang, accept_language)
    return _html(_page(chosen, _form(chosen), path="/verify"))


def _result_page(request: Request, chosen: str, run: Any) -> HTMLResponse:
    try:
        report: VerificationReport = run()
    except RegistryError as exc:
        return _html(_page(chosen, _error(exc, chosen) + _form(chosen), path=request.url.path), exc.status)
    return _html(_page(chosen, render_report(report, chosen), path=request.url.path))


@router.post("/verify", response_class=HTMLResponse)
def form_result(
    *,
    request: Request,
    ctx: PublicDep,
    session: SessionDep,
    now: NowDep,
    document: Annotated[UploadFile | None, File()] = None,
    signature: Annotated[UploadFile | None, File()] = None,
    permit_hash: Annotated[str | None, Form(alias="hash", max_length=66)] = None,
    number: Annotated[str | None, Form(max_length=64)] = None,
    at: Annotated[str | None, Form(max_length=64)] = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    chosen = negotiate(lang, accept_language)

    def run() -> VerificationReport:
        # An empty file input arrives as an upload with no name and no bytes: treat it as absent.
        doc = (
            read_upload(document, ctx.max_upload_bytes, "document")
            if document and document.filename
            else None
        )
        sig = (
            read_upload(signature, ctx.max_upload_bytes, "signature")
            if signature and signature.filename
            else None
        )
        return verify_uploaded(
            ctx,
            session,
            now,
            document=doc,
            signature=sig,
            permit_hash=permit_hash.strip() if permit_hash and permit_hash.strip() else None,
            number=number,
            at=at.strip() if at and at.strip() else None,
        )

    return _result_page(request, chosen, run)


@router.get("/verify/{number}", response_class=HTMLResponse)
def number_page(
    *,
    request: Request,
    number: str,
    ctx: PublicDep,
    session: SessionDep,
    now: NowDep,
    at: Annotated[str | None, Query(max_length=64)] = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    chosen = negotiate(lang, accept_language)

    def run() -> VerificationReport:
        return verify_uploaded(
            ctx, session, now, document=None, signature=None, permit_hash=None, number=number, at=at
        )

    return _result_page(request, chosen, run)
