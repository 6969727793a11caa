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

from asn1crypto import cms, core, tsp, x509

from kz_eds.exceptions import FetchError, TimestampError
from kz_eds.issuance import digest_algorithm_oid, sign_with, signature_algorithm_oid
from kz_eds.key_containers import PrivateKey
from kz_eds.signatures import SUPPORTED_DIGESTS, digest
from kz_eds.signing import Timestamper
from kz_eds.trust import Fetcher

DEV_TSA_POLICY = "1.2.398.3.3.2.6.1"  # the dev TSA's own policy arc under the NCA policies


class TimeStampResponse(core.Sequence):  # type: ignore[misc]
    """RFC 3161 TimeStampResp with the token OPTIONAL, as the RFC has it (asn1crypto requires it)."""

    _fields = [  # noqa: RUF012
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


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
            rejection: bytes = TimeStampResponse(
                {
                    "status": {
                        "status": "rejection",
                        "status_string": [str(exc)[:200]],
                        "fail_info": {"bad_request"},
                    }
                }
            ).dump()
            return rejection
        granted: bytes = tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(token)}
        ).dump()
        return granted


def remote_timestamper(url: str, fetcher: Fetcher) -> Timestamper:
    """A :data:`Timestamper` that asks an RFC 3161 service (e.g. the NCA's tsp.pki.gov.kz) over ``fetcher``.

    The answer is checked before use: granted status, our nonce echoed, our imprint stamped. The
    token's signature and TSA chain are verified later, by whoever verifies the CMS.
    """

    def stamp(signature: bytes, digest_oid: str) -> bytes:
        nonce = secrets.randbits(63)
        imprint = digest(digest_oid, signature)
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": digest_oid}, "hashed_message": imprint},
                "nonce": nonce,
                "cert_req": True,
            }
        )
        try:
            raw = fetcher(url, body=request.dump(), content_type="application/timestamp-query")
            response = TimeStampResponse.load(raw)
            status = response["status"]["status"].native
            if status not in ("granted", "granted_with_mods"):
                raise TimestampError(f"the TSA at {url} refused the request ({status})")
            token = response["time_stamp_token"]
            if isinstance(token, core.Void):
                raise TimestampError(f"the TSA at {url} granted but sent no token")
            info = token["content"]["encap_content_info"]["content"].parsed
            if (
                info["nonce"].native != nonce
                or bytes(info["message_imprint"]["hashed_message"].native) != imprint
            ):
                raise TimestampError(f"the TSA at {url} answered for another request")
            der: bytes = token.dump()
            return der
        except FetchError as exc:
            raise TimestampError(f"the TSA at {url} is unreachable: {exc.message}") from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise TimestampError(f"the TSA at {url} sent a malformed response") from exc

    return stamp
