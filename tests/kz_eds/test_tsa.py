import datetime as dt
import hashlib

from asn1crypto import core, tsp

from kz_eds.signatures import digest

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


class _RejectedResp(core.Sequence):  # type: ignore[misc]
    _fields = [("status", tsp.PKIStatusInfo)]  # noqa: RUF012


def _status(response_der):
    return _RejectedResp.load(response_der)["status"]
