"""Results as documents (R-RES-1): the permit (Annex 3) and the reasoned refusal (Annex 4).

Each result is a canonical RFC 8785 JSON document (what the head signs, with a detached CMS), a
rendered one-page PDF with a QR code to ``<public base>/verify/<number>``, and the SHA-256 of both.
The permit's validity comes from the rule profile (``RuleProfile.permit_valid_until``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from registry_api.core.config import Settings
from registry_api.models.tables import Application, Document
from registry_api.services.canonical import canonical_bytes, sha256_hex
from registry_api.services.pdf import Block, render_pdf
from registry_api.services.signatures import DocumentSigner
from registry_api.services.workflow import RefusalGround, Status

NOTE_RU = (
    "Примечание: обеспеченный цифровой актив не является расчетной денежной единицей, законным платежным "
    "средством; не признается финансовым инструментом или финансовым активом согласно статье 5 Закона "
    "Республики Казахстан «О цифровых активах в Республике Казахстан»."
)
NOTE_EN = (
    "Note: a secured digital asset is not a unit of payment nor legal tender, and is not a financial "
    "instrument or a financial asset (art. 5 of the Law of the RK «On digital assets in the RK»)."
)
GROUND_TEXT_RU: dict[RefusalGround, str] = {
    RefusalGround.UNRELIABLE_DOCUMENTS: "установление недостоверности документов и (или) данных (сведений)",
    RefusalGround.NON_COMPLIANCE: (
        "несоответствие услугополучателя и (или) материалов, объектов, данных и сведений "
        "требованиям нормативных правовых актов"
    ),
    RefusalGround.COURT_PROHIBITION: "вступившее в законную силу решение суда о запрещении деятельности",
    RefusalGround.COURT_DEPRIVATION_OF_RIGHT: (
        "вступившее в законную силу решение суда о лишении специального права"
    ),
    RefusalGround.NO_PERSONAL_DATA_CONSENT: (
        "отсутствие согласия на доступ к персональным данным ограниченного "
        "доступа (статья 8 Закона о персональных данных)"
    ),
}


def verification_url(settings: Settings, number: str) -> str:
    return f"{settings.public_base_url}/verify/{number}"


def _common(
    app: Application, settings: Settings, number: str, signer: DocumentSigner, now: dt.datetime
) -> dict[str, Any]:
    form = json.loads(app.form_json)
    local_now = settings.calendar.local(now)
    return {
        "state_body": {
            "name_kk": settings.body_name_kk,
            "name_ru": settings.body_name_ru,
            "requisites": settings.body_requisites,
        },
        "number": number,
        "date": local_now.date().isoformat(),
        "application": {
            "registry_number": app.number,
            "number": form["application_number"],
            "date": form["application_date"],
            "form_sha256": app.form_sha256,
        },
        "recipient": {
            "name": app.applicant_name,
            "iin_bin": app.applicant_id,
            "address": form["requisites"]["address"],
        },
        "signer": {"iin": signer.signer.iin, "name": signer.signer.common_name, "position": "head"},
        "rule_profile": app.profile_key,
        "verification_url": verification_url(settings, number),
    }


def permit_document(
    app: Application, settings: Settings, number: str, signer: DocumentSigner, now: dt.datetime
) -> dict[str, Any]:
    """Annex 3 as data."""
    form = json.loads(app.form_json)
    issued_on = settings.calendar.local(now).date()
    return {
        "type": "permit",
        "form": "Annex 3",
        **_common(app, settings, number, signer, now),
        "platform_name": form["platform_name"],
        "purpose": form["purpose"],
        "activity_addresses": form["activity_addresses"],
        "validity": {
            "years": settings.profile.permit_validity_years,
            "valid_from": issued_on.isoformat(),
            "valid_until": settings.profile.permit_valid_until(issued_on).isoformat(),
        },
        "note": {"ru": NOTE_RU, "en": NOTE_EN},
    }


def refusal_document(
    app: Application, settings: Settings, number: str, signer: DocumentSigner, now: dt.datetime
) -> dict[str, Any]:
    """Annex 4 as data: the grounds of R-REF-1 and the reasoning, after the hearing."""
    grounds = [RefusalGround(g) for g in app.refusal_grounds or []]
    return {
        "type": "reasoned_refusal",
        "form": "Annex 4",
        **_common(app, settings, number, signer, now),
        "grounds": [{"code": g.value, "text_ru": GROUND_TEXT_RU[g]} for g in grounds],
        "reasoning": app.decision_reason,
        "hearing_at": app.hearing_at.isoformat() if app.hearing_at else None,
    }


def _blocks(doc: dict[str, Any]) -> list[Block]:
    body = doc["state_body"]
    blocks = [Block(body["name_kk"], 9, 1), Block(body["name_ru"], 9, 1), Block(body["requisites"], 8, 10)]
    if doc["type"] == "permit":
        blocks.append(Block("РАЗРЕШЕНИЕ на выпуск и обращение обеспеченных цифровых активов", 13, 6))
    else:
        blocks.append(
            Block(
                "МОТИВИРОВАННЫЙ ОТКАЗ в выдаче разрешения на выпуск и обращение обеспеченных "
                "цифровых активов",
                13,
                6,
            )
        )
    app = doc["application"]
    blocks += [
        Block(f"Номер: {doc['number']}    Дата: {doc['date']}"),
        Block(f"Номер заявления: {app['number']} от {app['date']} (рег. № {app['registry_number']})"),
        Block(
            f"Услугополучатель: {doc['recipient']['name']}, ИИН/БИН {doc['recipient']['iin_bin']}, "
            f"{doc['recipient']['address']}",
            gap=8,
        ),
    ]
    if doc["type"] == "permit":
        addresses = "; ".join(", ".join(str(v) for v in a.values() if v) for a in doc["activity_addresses"])
        validity = doc["validity"]
        blocks += [
            Block(f"Цифровая платформа: {doc['platform_name']}"),
            Block(f"С целью: {doc['purpose']}"),
            Block(f"Адрес(а) осуществления деятельности: {addresses}", gap=8),
            Block(
                f"Особые условия: срок действия настоящего разрешения – {validity['years']} года со дня "
                f"его выдачи (до {validity['valid_until']} включительно)."
            ),
            Block(doc["note"]["ru"], 9, 8),
        ]
    else:
        for ground in doc["grounds"]:
            blocks.append(Block(f"Основание: {ground['text_ru']}"))
        blocks.append(Block(f"Обоснование: {doc['reasoning'] or ''}", gap=8))
    blocks += [
        Block(f"Подписано ЭЦП руководителя: {doc['signer']['name']} (ИИН {doc['signer']['iin']})", 9),
        Block(f"Проверка подлинности: {doc['verification_url']}", 8),
    ]
    return blocks


def issue_result_document(
    session: Session, *, app: Application, settings: Settings, signer: DocumentSigner, now: dt.datetime
) -> Document:
    """Build, render and sign the result for ``app`` (now in a *_pending_signature status) and stage it."""
    permit = app.status == Status.PERMIT_ISSUED.value
    number = f"{'P' if permit else 'R'}-{app.number}"
    doc = (permit_document if permit else refusal_document)(app, settings, number, signer, now)
    data = canonical_bytes(doc)
    pdf = render_pdf(
        _blocks(doc), qr_url=doc["verification_url"], font_path=settings.pdf_font_file, title=number
    )
    document = Document(
        application_id=app.id,
        kind=doc["type"],
        number=number,
        canonical_json=data.decode(),
        sha256=sha256_hex(data),
        pdf=pdf,
        pdf_sha256=sha256_hex(pdf),
        signature=signer.sign(data, signing_time=now),
        signed_at=now,
        signer_iin=signer.signer.iin or "",
        valid_until=dt.date.fromisoformat(doc["validity"]["valid_until"]) if permit else None,
    )
    session.add(document)
    return document
