"""Build signed Annex 2 submissions the way the portal would: form, files, CMS over the canonical form."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from registry_api.models.schemas import ApplicationForm
from registry_api.services.applications import canonical_form_bytes
from tests.registry_api.pki import Identity

BACKING = b"%PDF-1.4 extract from the State Register of Trademarks No. 12345"
LETTER = b"Guarantee letter: we purchased five nodes of the blockchain network; QBFT consensus."
NODES = [f"https://node{i}.platform.example.kz:8545" for i in range(1, 6)]


def form_for(
    applicant_id: str, *, legal_entity: bool, backing: bytes = BACKING, letter: bytes = LETTER
) -> dict[str, Any]:
    return {
        "applicant_kind": "legal_entity" if legal_entity else "individual_entrepreneur",
        "applicant_name": 'ТОО "Digital Asset Platform"' if legal_entity else "ИП Жақсыбеков",
        "requisites": {
            "address": "010000, Астана, ул. Сығанақ, 10",
            "iin_bin": applicant_id,
            "phone": "+7 717 200 00 00",
            "email": "office@platform.example.kz",
        },
        "addressee": "Министру цифрового развития, инноваций и аэрокосмической промышленности РК",
        "application_number": "42",
        "application_date": "2025-02-12",
        "platform_name": "DAP Exchange",
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
            {
                "kind": "backing",
                "title": "Выписка из реестра товарных знаков",
                "sha256": hashlib.sha256(backing).hexdigest(),
            },
            {
                "kind": "guarantee_letter",
                "title": "Гарантийное письмо",
                "sha256": hashlib.sha256(letter).hexdigest(),
            },
        ],
        "information_reliable": True,
        "secrets_consent": True,
        "signer_full_name": "СЕЙІТОВА ДИНАРА ҚАЙРАТҚЫЗЫ",
    }


def submission(
    signer: Identity,
    *,
    applicant_id: str,
    legal_entity: bool,
    at: dt.datetime,
    form: dict[str, Any] | None = None,
    backing: bytes = BACKING,
) -> dict[str, Any]:
    """A complete submission; the CMS covers the RFC 8785 bytes of the validated form."""
    form = form or form_for(applicant_id, legal_entity=legal_entity, backing=backing)
    signed = canonical_form_bytes(ApplicationForm.model_validate(form))
    return {
        "form": form,
        "signature_base64": base64.b64encode(signer.sign(signed, at)).decode(),
        "attachments": attachments(backing),
    }


def attachments(backing: bytes = BACKING) -> list[dict[str, Any]]:
    """The two files of R-DOC-1.2/1.3 as the portal posts them."""
    return [
        {
            "kind": "backing",
            "backing_kind": "trademark_register_extract",
            "filename": "extract.pdf",
            "content_type": "application/pdf",
            "content_base64": base64.b64encode(backing).decode(),
        },
        {
            "kind": "guarantee_letter",
            "filename": "letter.pdf",
            "content_type": "application/pdf",
            "content_base64": base64.b64encode(LETTER).decode(),
            "node_endpoints": NODES,
        },
    ]
