"""verify_permit against a real devnet node: every check, pass and fail, with the reasons people read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import pytest

from contracts.transactions import TransactionReverted
from kz_eds import generate_dev_pki
from registry_api.verification import CheckCode, Evidence, Outcome, ServiceCopy, Verdict, verify_permit
from registry_api.verification.exceptions import VerificationInputError
from registry_api.verification.verifier import parse_permit_hash
from tests.registry_api.verification.devnet_env import ASTANA, ChainEnv

pytestmark = [pytest.mark.slow, pytest.mark.network]


def run(env: ChainEnv, evidence: Evidence, *, at: dt.datetime | None = None, trust=None):
    now = dt.datetime.now(dt.UTC)
    return verify_permit(evidence, chain=env.view(), signatures=env.policy(trust), now=now, at=at, tz=ASTANA)


def outcomes(report) -> dict[str, str]:
    return {c.code.value: c.outcome.value for c in report.checks}


def test_a_signed_anchored_permit_verifies(chain_env):
    permit = chain_env.make_permit()
    report = run(chain_env, Evidence(document=permit.document, signature=permit.signature))
    assert report.verdict is Verdict.VALID, report.as_json()
    assert set(outcomes(report).values()) == {"pass"}
    anchor = report.check(CheckCode.ANCHOR)
    assert anchor.details["block_number"] == permit.anchor.block_number
    assert anchor.details["tx_hash"] == "0x" + permit.anchor.tx_hash.hex()
    assert anchor.details["final"] is True
    assert report.permit_number == permit.number
    assert report.permit_hash == permit.sha256.hex()
    signer = report.check(CheckCode.SIGNATURE).details["signer"]
    assert signer["bin"] == chain_env.regulator_bin


def test_one_tampered_byte_fails_integrity_but_the_permit_is_found_by_its_number(chain_env):
    permit = chain_env.make_permit(platform="Platform")
    tampered = permit.document.replace(b'"Platform"', b'"Plutform"')
    assert tampered != permit.document and len(tampered) == len(permit.document)
    report = run(chain_env, Evidence(document=tampered, signature=permit.signature))
    assert report.verdict is Verdict.INVALID
    integrity = report.check(CheckCode.INTEGRITY)
    assert integrity.outcome is Outcome.FAIL and integrity.reason_code == "hash_mismatch"
    assert report.check(CheckCode.SIGNATURE).outcome is Outcome.FAIL  # the CMS covers the original
    assert report.check(CheckCode.ANCHOR).outcome is Outcome.PASS


def test_a_non_canonical_copy_of_the_document_still_matches(chain_env):
    permit = chain_env.make_permit()
    pretty = json.dumps(json.loads(permit.document), indent=2, ensure_ascii=False).encode()
    report = run(chain_env, Evidence(document=pretty, signature=permit.signature))
    assert report.check(CheckCode.INTEGRITY).reason_code == "canonical_match"
    assert report.verdict is Verdict.VALID


def test_a_signature_by_someone_outside_the_regulator_fails(chain_env):
    permit = chain_env.make_permit(signer_role="legal_first_head")
    report = run(chain_env, Evidence(document=permit.document, signature=permit.signature))
    check = report.check(CheckCode.SIGNATURE)
    assert check.outcome is Outcome.FAIL
    assert check.details["signer"]["bin"] != chain_env.regulator_bin
    assert report.verdict is Verdict.INVALID
    assert report.check(CheckCode.INTEGRITY).outcome is Outcome.PASS


def test_a_signature_from_an_untrusted_pki_fails(chain_env, tmp_path):
    other = generate_dev_pki(tmp_path / "other", now=dt.datetime.now(dt.UTC), algorithms=["RSA-SHA256"])
    permit = chain_env.make_permit()
    report = run(
        chain_env,
        Evidence(document=permit.document, signature=permit.signature),
        trust=other.trust_store(algorithms=["RSA-SHA256"]),
    )
    assert report.check(CheckCode.SIGNATURE).outcome is Outcome.FAIL
    assert report.check(CheckCode.SIGNATURE).reason_code == "chain_untrusted"


def test_revoked_says_when_and_why(chain_env):
    permit = chain_env.make_permit()
    write = chain_env.writer.revoke(permit.sha256, 7)
    day = chain_env.block_time(write).astimezone(ASTANA).date().isoformat()
    report = run(chain_env, Evidence(document=permit.document, signature=permit.signature))
    status = report.check(CheckCode.STATUS)
    assert status.outcome is Outcome.FAIL
    assert status.reason == f"revoked on {day}, reason 7"
    assert report.check(CheckCode.ISSUER).reason_code == "revoked"
    assert report.verdict is Verdict.INVALID
    # before the revocation the same permit was in force
    earlier = chain_env.block_time(permit.anchor)
    assert (
        run(chain_env, Evidence(number=permit.number), at=earlier).check(CheckCode.STATUS).outcome
        is Outcome.PASS
    )


def test_suspended_then_reinstated(chain_env):
    permit = chain_env.make_permit()
    chain_env.writer.suspend(permit.sha256, 3)
    report = run(chain_env, Evidence(permit_hash=permit.sha256))
    assert report.check(CheckCode.STATUS).reason_code == "suspended"
    assert report.check(CheckCode.STATUS).reason.endswith("reason 3")
    assert report.check(CheckCode.ISSUER).reason_code == "suspended"
    chain_env.writer.reinstate(permit.sha256)
    report = run(chain_env, Evidence(permit_hash=permit.sha256))
    assert report.check(CheckCode.STATUS).outcome is Outcome.PASS
    assert report.check(CheckCode.ISSUER).outcome is Outcome.PASS


def test_expired_and_not_yet_valid_are_judged_at_the_asked_time(chain_env, rule_profile):
    permit = chain_env.make_permit()
    last = rule_profile.permit_valid_until(permit.issued_on)
    on_last_day = dt.datetime.combine(last, dt.time(23, 0), tzinfo=ASTANA)
    after = on_last_day + dt.timedelta(hours=2)
    before = dt.datetime.combine(permit.issued_on, dt.time(0, 0), tzinfo=ASTANA) - dt.timedelta(seconds=1)
    ok = run(chain_env, Evidence(document=permit.document, signature=permit.signature), at=on_last_day)
    assert ok.check(CheckCode.VALIDITY).outcome is Outcome.PASS
    expired = run(chain_env, Evidence(document=permit.document, signature=permit.signature), at=after)
    validity = expired.check(CheckCode.VALIDITY)
    assert validity.reason_code == "expired" and last.isoformat() in validity.reason
    assert expired.check(CheckCode.ISSUER).reason_code == "expired"
    assert expired.verdict is Verdict.INVALID
    early = run(chain_env, Evidence(number=permit.number), at=before)
    assert early.check(CheckCode.VALIDITY).reason_code == "not_yet_valid"


def test_an_unknown_permit(chain_env):
    report = run(chain_env, Evidence(number="P-NO-SUCH-PERMIT"))
    assert report.check(CheckCode.ANCHOR).reason_code == "not_found"
    assert report.verdict is Verdict.INVALID
    unanchored = chain_env.make_permit(anchor=False)
    report = run(chain_env, Evidence(document=unanchored.document, signature=unanchored.signature))
    assert report.check(CheckCode.INTEGRITY).reason_code == "not_anchored"
    assert report.check(CheckCode.ANCHOR).outcome is Outcome.FAIL


def test_a_number_alone_is_unconfirmed_not_valid(chain_env):
    permit = chain_env.make_permit()
    report = run(chain_env, Evidence(number=permit.number))
    assert report.verdict is Verdict.UNCONFIRMED
    assert report.check(CheckCode.INTEGRITY).outcome is Outcome.UNKNOWN
    assert report.check(CheckCode.SIGNATURE).outcome is Outcome.UNKNOWN


def test_the_service_copy_disagreeing_with_the_chain_is_noted(chain_env):
    permit = chain_env.make_permit()
    copy = ServiceCopy(number=permit.number, sha256_hex="00" * 32, valid_until=permit.issued_on)
    report = run(chain_env, Evidence(number=permit.number, service_copy=copy))
    codes = [n["code"] for n in report.notes]
    assert codes == ["db_chain_mismatch", "db_chain_mismatch"]
    agreeing = dataclasses.replace(copy, sha256_hex=permit.sha256.hex(), valid_until=None)
    assert run(chain_env, Evidence(number=permit.number, service_copy=agreeing)).notes == ()


def test_key_rotation_a_permit_anchored_before_revocation_stays_valid_one_after_does_not(chain_env):
    before = chain_env.make_permit()
    t1 = chain_env.block_time(before.anchor)
    chain_env.make_permit()  # a block in between: the revocation falls strictly between the anchors
    after = chain_env.make_permit()  # signed (claimed time) before the revocation, anchored after it
    t2 = chain_env.block_time(after.anchor)
    revoked_at = t1 + dt.timedelta(seconds=1)
    assert t1 < revoked_at < t2
    trust = chain_env.trust_with_head_revoked(revoked_at)

    old = run(chain_env, Evidence(document=before.document, signature=before.signature), trust=trust)
    assert old.check(CheckCode.SIGNATURE).outcome is Outcome.PASS, old.as_json()
    assert old.check(CheckCode.SIGNATURE).details["revocation"] == "revoked_after_anchoring"
    assert old.verdict is Verdict.VALID

    new = run(chain_env, Evidence(document=after.document, signature=after.signature), trust=trust)
    check = new.check(CheckCode.SIGNATURE)
    assert check.outcome is Outcome.FAIL
    assert check.reason_code == "certificate_revoked_before_anchor"
    assert new.verdict is Verdict.INVALID

    # a key used after its revocation, with an honest signing time, fails too
    late = chain_env.make_permit(signing_time=dt.datetime.now(dt.UTC))
    trust_late = chain_env.trust_with_head_revoked(t1)
    report = run(chain_env, Evidence(document=late.document, signature=late.signature), trust=trust_late)
    assert report.check(CheckCode.SIGNATURE).outcome is Outcome.FAIL


def test_bad_input_is_a_clear_error():
    with pytest.raises(VerificationInputError):
        Evidence()
    with pytest.raises(VerificationInputError):
        Evidence(permit_hash=b"short")
    with pytest.raises(VerificationInputError):
        Evidence(signature=b"x", number="P-1")
    with pytest.raises(VerificationInputError):
        parse_permit_hash("zz")
    assert parse_permit_hash("0x" + "ab" * 32) == bytes.fromhex("ab" * 32)
    assert hashlib.sha256(b"").digest() == parse_permit_hash(hashlib.sha256(b"").hexdigest())


def test_registrar_rotation_a_permit_anchored_by_a_removed_registrar_stays_valid(chain_env):
    spare = chain_env.spare
    chain_env.set_registrar(spare, appointed=True)
    writer = chain_env.writer_for(spare)
    permit = chain_env.make_permit(writer=writer)
    chain_env.set_registrar(spare, appointed=False)
    report = run(chain_env, Evidence(document=permit.document, signature=permit.signature))
    assert report.verdict is Verdict.VALID, report.as_json()
    with pytest.raises(TransactionReverted, match="not a registrar"):
        chain_env.make_permit(writer=writer)  # after the removal nothing more gets on chain through it
