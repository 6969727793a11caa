import datetime as dt
import hashlib

import pytest
from asn1crypto import cms, tsp

from kz_eds import VerificationPolicy, sign_detached, verify_cms
from kz_eds.exceptions import FetchError, TimestampError
from kz_eds.signatures import digest
from kz_eds.tsa import TimeStampResponse, remote_timestamper

from .conftest import RSA


def test_tsa_grants_a_request_and_echoes_the_nonce(pki, now):
    tsa = pki.tsa(RSA)
    imprint = hashlib.sha256(b"signature value").digest()
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": imprint},
            "nonce": 12345,
            "cert_req": True,
        }
    )
    at = now - dt.timedelta(seconds=30)
    response = tsp.TimeStampResp.load(tsa.respond(request.dump(), gen_time=at))
    assert response["status"]["status"].native == "granted"
    info = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["nonce"].native == 12345
    assert info["gen_time"].native == at
    assert info["message_imprint"]["hashed_message"].native == imprint
    assert digest("2.16.840.1.101.3.4.2.1", b"signature value") == imprint


def test_tsa_rejects_a_bad_request(pki, now):
    tsa = pki.tsa(RSA)
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"short"},
        }
    )
    status = _status(tsa.respond(request.dump(), gen_time=now))
    assert status["status"].native == "rejection"
    assert "wrong length" in status["status_string"].native[0]
    assert status["fail_info"].native == {"bad_request"}
    assert _status(tsa.respond(b"\x01\x02", gen_time=now))["status"].native == "rejection"


def _status(response_der):
    return TimeStampResponse.load(response_der)["status"]


def test_remote_timestamper_round_trip_through_a_fetcher(pki, trust, now):
    tsa = pki.tsa(RSA)
    calls = []

    def fetcher(url, *, body=None, content_type=None):
        calls.append((url, content_type))
        return tsa.respond(body, gen_time=now)

    stamper = remote_timestamper("http://tsp.dev.invalid/", fetcher)
    signature = sign_detached(
        b"doc", pki.signer(RSA, "regulator_head"), signing_time=now, timestamper=stamper
    )
    result = verify_cms(signature, data=b"doc", trust=trust, policy=VerificationPolicy(), now=now)
    assert result.valid, result.reasons
    assert result.timestamp_time == now
    assert calls == [("http://tsp.dev.invalid/", "application/timestamp-query")]


def test_remote_timestamper_refuses_foreign_or_failed_answers(pki, now):
    tsa = pki.tsa(RSA)
    other = tsa.issue(hash_algorithm="2.16.840.1.101.3.4.2.1", hashed_message=b"\x00" * 32, gen_time=now)

    def replay(url, *, body=None, content_type=None):
        return tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(other)}
        ).dump()

    def down(url, *, body=None, content_type=None):
        raise FetchError("connection refused")

    with pytest.raises(TimestampError, match="another request"):
        remote_timestamper("http://tsp.dev.invalid/", replay)(b"sig", "2.16.840.1.101.3.4.2.1")
    with pytest.raises(TimestampError, match="unreachable"):
        remote_timestamper("http://tsp.dev.invalid/", down)(b"sig", "2.16.840.1.101.3.4.2.1")
    with pytest.raises(TimestampError, match="refused"):
        remote_timestamper("http://tsp.dev.invalid/", lambda url, **kw: tsa.respond(b"\x01", gen_time=now))(
            b"sig", "2.16.840.1.101.3.4.2.1"
        )
