"""Object identifiers of the NCA RK certificate profile and of the algorithms we accept.

Kept in one place so the profile parser, the verifier and the development PKI agree on every arc.
Source: KZ-FACTS.md (NCA RK documentation as published with NCANode).
"""

from __future__ import annotations

from typing import Final

# --- algorithms -------------------------------------------------------------------------------
RSA_ENCRYPTION: Final = "1.2.840.113549.1.1.1"
SHA256_WITH_RSA: Final = "1.2.840.113549.1.1.11"
SHA256: Final = "2.16.840.1.101.3.4.2.1"

# Kazakh arcs for GOST R 34.10-2015 512-bit (parameters = TC26 512 paramSetA) and Streebog-512.
KZ_GOST2015_512_KEY: Final = "1.2.398.3.10.1.1.2.2"
KZ_GOST2015_512_SIGNATURE: Final = "1.2.398.3.10.1.1.2.3.2"
KZ_STREEBOG_512: Final = "1.2.398.3.10.1.3.3"
KZ_GOST34310_2004_KEY: Final = "1.2.398.3.10.1.1.1.1"  # legacy, recognised but not verified
# Only the Kazakh arcs: Russian TC26 certificates use the same curve but another byte order for the
# signature (s‖r), so accepting their OIDs here would verify them wrongly. They are refused as
# unsupported instead.
GOST_KEY_OIDS: Final = frozenset({KZ_GOST2015_512_KEY})
GOST_SIGNATURE_OIDS: Final = frozenset({KZ_GOST2015_512_SIGNATURE})
STREEBOG_512_OIDS: Final = frozenset({KZ_STREEBOG_512})

# --- names ------------------------------------------------------------------------------------
COMMON_NAME: Final = "2.5.4.3"
SURNAME: Final = "2.5.4.4"
SERIAL_NUMBER: Final = "2.5.4.5"
COUNTRY: Final = "2.5.4.6"
LOCALITY: Final = "2.5.4.7"
STATE: Final = "2.5.4.8"
ORGANISATION: Final = "2.5.4.10"
ORGANISATIONAL_UNIT: Final = "2.5.4.11"
GIVEN_NAME: Final = "2.5.4.42"
EMAIL_ADDRESS: Final = "1.2.840.113549.1.9.1"

# --- extended key usage: purpose and role -----------------------------------------------------
EKU_CLIENT_AUTH: Final = "1.3.6.1.5.5.7.3.2"
EKU_EMAIL_PROTECTION: Final = "1.3.6.1.5.5.7.3.4"
EKU_TIME_STAMPING: Final = "1.3.6.1.5.5.7.3.8"
EKU_OCSP_SIGNING: Final = "1.3.6.1.5.5.7.3.9"

ROLE_INDIVIDUAL: Final = "1.2.398.3.3.4.1.1"
ROLE_LEGAL_ENTITY: Final = "1.2.398.3.3.4.1.2"
ROLE_FIRST_HEAD: Final = "1.2.398.3.3.4.1.2.1"
ROLE_RIGHT_TO_SIGN: Final = "1.2.398.3.3.4.1.2.2"
ROLE_FINANCIAL: Final = "1.2.398.3.3.4.1.2.3"
ROLE_HR: Final = "1.2.398.3.3.4.1.2.4"
ROLE_EMPLOYEE: Final = "1.2.398.3.3.4.1.2.5"

ROLE_NAMES: Final[dict[str, str]] = {
    ROLE_INDIVIDUAL: "individual",
    ROLE_LEGAL_ENTITY: "legal_entity",
    ROLE_FIRST_HEAD: "first_head",
    ROLE_RIGHT_TO_SIGN: "right_to_sign",
    ROLE_FINANCIAL: "financial",
    ROLE_HR: "hr",
    ROLE_EMPLOYEE: "employee",
}
ROLE_OIDS: Final[dict[str, str]] = {name: oid for oid, name in ROLE_NAMES.items()}

# --- certificate policies ---------------------------------------------------------------------
POLICY_NCA: Final = "1.2.398.3.3.2"
POLICY_LEGAL_SIGN: Final = "1.2.398.3.3.2.1"
POLICY_LEGAL_AUTH: Final = "1.2.398.3.3.2.2"
POLICY_INDIVIDUAL_SIGN: Final = "1.2.398.3.3.2.3"
POLICY_INDIVIDUAL_AUTH: Final = "1.2.398.3.3.2.4"

# --- CMS --------------------------------------------------------------------------------------
CMS_DATA: Final = "1.2.840.113549.1.7.1"
CMS_SIGNED_DATA: Final = "1.2.840.113549.1.7.2"
TST_INFO: Final = "1.2.840.113549.1.9.16.1.4"
ATTR_CONTENT_TYPE: Final = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST: Final = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME: Final = "1.2.840.113549.1.9.5"
ATTR_SIGNING_CERTIFICATE_V2: Final = "1.2.840.113549.1.9.16.2.47"
ATTR_SIGNATURE_TIME_STAMP_TOKEN: Final = "1.2.840.113549.1.9.16.2.14"  # noqa: S105 - an OID
