"""A small RFC 3161 time-stamping authority for development and tests.

The NCA's TSP service (http://tsp.pki.gov.kz/) is unreachable from our machines, so the dev PKI has
its own TSA certificate and this module issues tokens from it: same token shape (SignedData over
TSTInfo, ESS signing-certificate-v2), RSA or GOST. Time is a parameter: tests stamp any moment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from asn1crypto import cms, tsp, x509

from kz_eds.exceptions import TimestampError
from kz_eds.issuance import digest_algorithm_oid, sign_with, signature_algorithm_oid
from kz_eds.key_containers import PrivateKey
from kz_eds.signatures import SUPPORTED_DIGESTS, digest
from kz_eds.signing import Timestamper

DEV_TSA_POLICY = "1.2.398.3.3.2.6.1"  # the dev TSA's own policy arc under the NCA policies


@dataclass(frozen=True, slots=True, repr=False)
class TimeStampAuthority:
    """Issues time-stamp tokens with a TSA certificate (EKU timeStamping) and its key."""

    certificate: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()
    policy: str = DEV_TSA_POLICY

    def __repr__(self) -> str:
        return f"TimeStampAuthority(certificate serial {self.certificate.serial_number:x})"

    def issue(
        self, *, hash_algorithm: str, hashed_message: bytes, gen_time: dt.datetime, nonce: int | None = None
    ) -> bytes:
        """A DER TimeStampToken (CMS ContentInfo) over ``hashed_message`` at ``gen_time``."""
        if hash_algorithm not in SUPPORTED_DIGESTS:
            raise TimestampError(f"unsupported message imprint algorithm {hash_algorithm}")
        if len(hashed_message) != len(digest(hash_algorithm, b"")):
            raise TimestampError("message imprint has the wrong length for its algorithm")
        if gen_time.tzinfo is None:
            raise TimestampError("gen_time must be timezone-aware")
        info: dict[str, object] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": {
                "hash_algorithm": {"algorithm": hash_algorithm},
                "hashed_message": hashed_message,
            },
            "serial_number": secrets.randbits(63),
            "gen_time": gen_time.astimezone(dt.UTC).replace(microsecond=0),
        }
        if nonce is not None:
            info["nonce"] = nonce
        tst_info = tsp.TSTInfo(info)
        tst_der = tst_info.dump()
        digest_oid = digest_algorithm_oid(self.key)
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "message_digest", "values": [digest(digest_oid, tst_der)]}),
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [
                            {
                                "certs": [
                                    {
                                        "hash_algorithm": {"algorithm": "sha256"},
                                        "cert_hash": hashlib.sha256(self.certificate.dump()).digest(),
                                    }
                                ]
                            }
                        ],
                    }
                ),
            ]
        )
        signature = sign_with(self.key, signed_attrs.dump())
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [{"algorithm": digest_oid}],
                "encap_content_info": {"content_type": "tst_info", "content": tst_info},
                "certificates": [self.certificate, *self.chain],
                "signer_infos": [
                    {
                        "version": "v1",
                        "sid": cms.SignerIdentifier(
                            name="issuer_and_serial_number",
                            value={
                                "issuer": self.certificate.issuer,
                                "serial_number": self.certificate.serial_number,
                            },
                        ),
                        "digest_algorithm": {"algorithm": digest_oid},
                        "signed_attrs": signed_attrs,
                        "signature_algorithm": {"algorithm": signature_algorithm_oid(self.key)},
                        "signature": signature,
                    }
                ],
            }
        )
        der: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
        return der

    def timestamper(self, gen_time: dt.datetime) -> Timestamper:
        """A hook for :func:`kz_eds.signing.sign_cms` that stamps the signature at ``gen_time``."""

        def stamp(signature: bytes, digest_oid: str) -> bytes:
            return self.issue(
                hash_algorithm=digest_oid, hashed_message=digest(digest_oid, signature), gen_time=gen_time
            )

        return stamp

    def respond(self, request_der: bytes, *, gen_time: dt.datetime) -> bytes:
        """Answer an RFC 3161 TimeStampReq with a TimeStampResp (granted, or rejected with a reason)."""
        try:
            request = tsp.TimeStampReq.load(request_der)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].dotted
            hashed = bytes(imprint["hashed_message"].native)
            nonce = request["nonce"].native
            token = self.issue(
                hash_algorithm=algorithm, hashed_message=hashed, gen_time=gen_time, nonce=nonce
            )
        except (ValueError, TypeError, KeyError, TimestampError) as exc:
            status = tsp.PKIStatusInfo(
                {"status": "rejection", "status_string": [str(exc)[:200]], "fail_info": {"bad_request"}}
            ).dump()
            # asn1crypto marks timeStampToken mandatory; RFC 3161 omits it on rejection, so wrap by hand
            return _der_sequence(status)
        granted: bytes = tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(token)}
        ).dump()
        return granted


def _der_sequence(body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return b"\x30" + bytes([size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return b"\x30" + bytes([0x80 | len(length)]) + length + body
