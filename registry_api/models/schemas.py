"""The wire schemas: the Annex 2 application, attachments, and what the API shows back.

Every field of Annex 2 is here, bounded in length; unknown fields are refused (``extra="forbid"``),
so the bytes the applicant signed (RFC 8785 canonical JSON of :class:`ApplicationForm`) are exactly
what is stored and later shown.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from registry_api.services.workflow import RefusalGround, Status, Timeliness

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Identifier = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApplicantKind(StrEnum):
    INDIVIDUAL_ENTREPRENEUR = "individual_entrepreneur"
    LEGAL_ENTITY = "legal_entity"


class AttachmentKind(StrEnum):
    BACKING = "backing"  # R-DOC-1.2
    GUARANTEE_LETTER = "guarantee_letter"  # R-DOC-1.3


class BackingKind(StrEnum):
    """R-DOC-1.2: the documents that may back a secured digital asset."""

    TRADEMARK_REGISTER_EXTRACT = "trademark_register_extract"
    APPELLATION_OF_ORIGIN_REGISTER_EXTRACT = "appellation_of_origin_register_extract"
    PROPERTY_SALE_CONTRACT = "property_sale_contract"
    RETAIL_SALE_CONTRACT = "retail_sale_contract"
    CONTRACTING_CONTRACT = "contracting_contract"
    EXCHANGE_CONTRACT = "exchange_contract"
    GIFT_CONTRACT = "gift_contract"
    INTELLECTUAL_CREATION_CONTRACT = "intellectual_creation_contract"
    COPYRIGHT_REGISTER_CERTIFICATE = "copyright_register_certificate"


class Address(Strict):
    """An address of activity (Annex 2): postal code, region, city, district, locality, street, building."""

    postal_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    region: ShortText
    city: ShortText | None = None
    district: ShortText | None = None
    locality: ShortText | None = None
    street: ShortText
    building: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class ApplicantRequisites(Strict):
    """Annex 2 header: address, IIN or BIN, phone, e-mail."""

    address: ShortText
    iin_bin: Identifier
    phone: Annotated[str, StringConstraints(pattern=r"^\+?\d[\d\s()-]{5,24}$")]
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")]


class AttachedDocument(Strict):
    """One line of the list of attached documents; the hash binds the file to the signed form."""

    kind: AttachmentKind
    title: ShortText
    sha256: Sha256Hex


class ApplicationForm(Strict):
    """Annex 2: the application for a permit for the issue and circulation of secured digital assets."""

    applicant_kind: ApplicantKind
    applicant_name: ShortText
    requisites: ApplicantRequisites
    addressee: ShortText = Field(description="head of the state body the application is addressed to")
    application_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    application_date: dt.date
    platform_name: ShortText
    purpose: LongText
    activity_addresses: list[Address] = Field(min_length=1, max_length=20)
    attached_documents: list[AttachedDocument] = Field(min_length=2, max_length=20)
    information_reliable: Literal[True]
    secrets_consent: Literal[True]
    signer_full_name: ShortText


class AttachmentIn(Strict):
    kind: AttachmentKind
    backing_kind: BackingKind | None = None
    filename: Annotated[str, StringConstraints(pattern=r"^[\w.() -]{1,200}\.[A-Za-z0-9]{1,8}$")]
    content_type: Literal["application/pdf", "image/png", "image/jpeg", "application/json", "text/plain"]
    content_base64: str
    node_endpoints: list[AnyHttpUrl] | None = Field(default=None, max_length=64)


class ApplicationSubmission(Strict):
    """What the portal posts: the form, the applicant's CMS over its canonical bytes, the files."""

    form: ApplicationForm
    signature_base64: Annotated[str, StringConstraints(min_length=1, max_length=1_000_000)]
    attachments: list[AttachmentIn] = Field(min_length=2, max_length=20)


class DeadlinesPublic(BaseModel):
    registration_day: dt.date
    registration_due: dt.datetime
    completeness_due: dt.datetime
    examination_due: dt.datetime | None
    hearing_notice_due: dt.datetime
    hearing_due: dt.datetime | None
    service_term_due: dt.datetime
    current_due: dt.datetime | None


class DocumentPublic(BaseModel):
    kind: str
    number: str
    sha256: str
    pdf_sha256: str
    signed_at: dt.datetime
    valid_until: dt.date | None


class ApplicationPublic(BaseModel):
    """The personal cabinet's view of a request (also what staff see)."""

    number: str
    applicant_id: str
    applicant_name: str
    status: Status
    timeliness: Timeliness
    submitted_at: dt.datetime
    registered_at: dt.datetime | None
    profile_key: str
    profile_out_of_range: bool
    form_sha256: str
    deadlines: DeadlinesPublic
    refusal_grounds: list[RefusalGround] | None
    missing_documents: list[str] | None
    hearing_at: dt.datetime | None
    hearing_notice_late: bool
    decision_reason: str | None
    documents: list[DocumentPublic]


class CompletenessIn(Strict):
    complete: bool
    missing_documents: list[ShortText] = Field(default_factory=list, max_length=20)


class PreliminaryRefusalIn(Strict):
    grounds: list[RefusalGround] = Field(min_length=1, max_length=5)
    reason: LongText
    hearing_at: dt.datetime


class HearingOutcomeIn(Strict):
    outcome: Literal["grant", "refuse"]
    reason: LongText


class ChallengePublic(BaseModel):
    nonce: str
    expires_at: dt.datetime


class LoginIn(Strict):
    nonce: Annotated[str, StringConstraints(min_length=16, max_length=64)]
    signature_base64: Annotated[str, StringConstraints(min_length=1, max_length=65536)]


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: dt.datetime
    role: str


class ComplaintIn(Strict):
    application_number: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    addressee: Literal["provider", "quality_body"]
    text: LongText


class ComplaintDecisionIn(Strict):
    decision: Literal["satisfied", "forwarded", "rejected"]
    outcome: LongText


class ComplaintPublic(BaseModel):
    id: int
    application_number: str
    addressee: str
    status: str
    filed_at: dt.datetime
    registration_day: dt.date
    forward_due: dt.datetime | None
    review_due: dt.datetime
    resolved_at: dt.datetime | None
    outcome: str | None
