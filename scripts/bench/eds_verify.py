"""Figures for kz_eds: GOST primitives, CMS sign/verify per algorithm, dev PKI generation.

Run: .venv/bin/python scripts/bench/eds_verify.py [--rounds N]
Prints a table; asserts nothing (speed is measured, not tested).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kz_eds import Signer, TrustStore, VerificationPolicy, generate_dev_pki, sign_detached, verify_cms
from kz_eds.certificates import load_crl
from kz_eds.gost import GostPrivateKey
from kz_eds.issuance import issue_crl
from kz_eds.key_containers import read_key_files
from kz_eds.path_validation import _signed_by_der
from kz_eds.revocation import CRL_FACTS
from kz_eds.streebog import streebog512

BIG_CRL_ENTRIES = 20_000


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples)


def row(name: str, figures: tuple[float, float]) -> None:
    median, worst = figures
    print(f"{name:<52} median {median * 1000:9.1f} ms   max {worst * 1000:9.1f} ms")


def clear_caches() -> None:
    _signed_by_der.cache_clear()
    CRL_FACTS.clear()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    now = dt.datetime.now(dt.UTC)

    key = GostPrivateKey.generate()
    public = key.public_key()
    signature = key.sign(b"x")
    row(
        "GOST 34.10-2015 512 key pair generation",
        timed(lambda: GostPrivateKey.generate().public_key(), rounds),
    )
    row("GOST 34.10-2015 512 sign (incl. Streebog of 1 byte)", timed(lambda: key.sign(b"x"), rounds))
    row("GOST 34.10-2015 512 verify", timed(lambda: public.verify(b"x", signature), rounds))
    megabyte = b"\xa5" * (1024 * 1024)
    row("Streebog-512 of 1 MiB", timed(lambda: streebog512(megabyte), max(1, rounds // 2)))

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        pki = generate_dev_pki(Path(tmp) / "pki", now=now)
        elapsed = time.perf_counter() - start
        print(f"{'dev PKI generation (RSA + GOST, 2 x 13 certificates)':<52} {elapsed:9.2f} s")
        trust = pki.trust_store()
        policy = VerificationPolicy()
        document = b"{" + b"a" * 4096 + b"}"
        for algorithm in ("RSA-SHA256", "GOST2015-512"):
            signer = pki.signer(algorithm, "legal_first_head")
            tsa = pki.tsa(algorithm)

            def sign(current: Signer = signer) -> None:
                sign_detached(document, current, signing_time=now)

            row(f"{algorithm}: sign 4 KiB detached", timed(sign, rounds))
            plain = sign_detached(document, signer, signing_time=now)
            stamped = sign_detached(document, signer, signing_time=now, timestamper=tsa.timestamper(now))

            def cold(sig: bytes = plain) -> None:
                clear_caches()
                if not verify_cms(sig, data=document, trust=trust, policy=policy, now=now).valid:
                    raise SystemExit("benchmark signature did not verify")

            def warm(sig: bytes = plain) -> None:
                if not verify_cms(sig, data=document, trust=trust, policy=policy, now=now).valid:
                    raise SystemExit("benchmark signature did not verify")

            row(f"{algorithm}: verify (cold chain/CRL cache)", timed(cold, rounds))
            row(f"{algorithm}: verify (warm cache)", timed(warm, rounds))

            def warm_stamped(sig: bytes = stamped) -> None:
                warm(sig)

            row(f"{algorithm}: verify with time-stamp (warm cache)", timed(warm_stamped, rounds))

        # A large CRL (NCA's run to hundreds of thousands of entries): first use vs later uses.
        ca = read_key_files(pki.ca_file("RSA-SHA256", "ca_key"), pki.ca_file("RSA-SHA256", "ca"), None)
        entries = [(serial, now - dt.timedelta(days=1)) for serial in range(10_000, 10_000 + BIG_CRL_ENTRIES)]
        big = issue_crl(
            issuer=ca.certificate,
            issuer_key=ca.key,
            revoked=entries,
            this_update=now - dt.timedelta(hours=1),
            next_update=now + dt.timedelta(days=1),
            number=2,
        )
        big_der = big.dump()
        big_trust = TrustStore(
            roots=pki.certificates("RSA-SHA256", "root"),
            intermediates=[ca.certificate],
            crls=[load_crl(big_der)],
        )
        plain = sign_detached(document, pki.signer("RSA-SHA256", "individual_entrepreneur"), signing_time=now)

        def with_big_crl() -> None:
            verify_cms(plain, data=document, trust=big_trust, policy=policy, now=now)

        CRL_FACTS.clear()
        label = f"RSA-SHA256: verify, {BIG_CRL_ENTRIES} entry CRL ({len(big_der) // 1024} KiB)"
        row(label + " first", timed(with_big_crl, 1))
        row(label + " later", timed(with_big_crl, rounds))


if __name__ == "__main__":
    main()
