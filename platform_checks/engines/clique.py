"""Clique (EIP-225): proof of authority with one signer per block.

``extraData = vanity (32) ‖ signers (20 each, checkpoint blocks only) ‖ seal (65)``; the seal signs
keccak(RLP(header with extraData minus the seal)); the block hash covers the whole header. The signer
set comes from ``clique_getSigners`` or, failing that, a checkpoint header in the window.

Fault tolerance: Clique is not Byzantine fault tolerant. A signer may seal at most one of any
``floor(n/2)+1`` consecutive blocks, so blocks keep coming while ``floor(n/2)+1`` signers are up: it
tolerates ``(n-1)//2`` signers that crash (not ones that lie). The report names this model.
"""

from __future__ import annotations

from collections.abc import Sequence

from platform_checks import wire_values as wv
from platform_checks.block_header import BlockHeader
from platform_checks.engines.base import Clock, EngineFinding, RpcCaller, probe_rpc_list
from platform_checks.engines.bft_extra_data import SEAL_LENGTH, VANITY_LENGTH, recover_signer
from platform_checks.model import Evidence, iso

TOLERANCE_MODEL = "crash only: (n-1)//2 of n signers may stop; floor(n/2)+1 signers must stay up"
NO_MIX_HASH = bytes(32)
CLIQUE_DIFFICULTIES = (1, 2)


def clique_checkpoint_signers(extra_data: bytes) -> tuple[str, ...]:
    """Signers listed between vanity and seal (non-empty only on checkpoint blocks)."""
    middle = extra_data[VANITY_LENGTH:-SEAL_LENGTH]
    return tuple("0x" + middle[i : i + 20].hex() for i in range(0, len(middle), 20))


def clique_layout_fits(extra_data: bytes) -> bool:
    size = len(extra_data)
    return size >= VANITY_LENGTH + SEAL_LENGTH and (size - VANITY_LENGTH - SEAL_LENGTH) % 20 == 0


def clique_signer(header: BlockHeader) -> str:
    """Recover the signer of a Clique header (raise :class:`MalformedValue` when impossible)."""
    extra = header.extra_data
    if not clique_layout_fits(extra):
        raise wv.MalformedValue(f"block {header.number}: extraData does not have the Clique layout")
    digest = header.hash_with_extra_data(extra[:-SEAL_LENGTH])
    return recover_signer(digest, extra[-SEAL_LENGTH:])


def clique_fault_tolerance(signer_count: int) -> int:
    return max(signer_count - 1, 0) // 2


class CliqueProbe:
    name = "clique"

    async def probe(self, node: RpcCaller, headers: Sequence[BlockHeader], clock: Clock) -> EngineFinding:
        by_rpc, rpc_signers, rpc_evidence = await probe_rpc_list(
            node, "clique_getSigners", ["latest"], clock, lambda raw: wv.address_list(raw, "signers")
        )
        evidence: list[Evidence] = [rpc_evidence]
        problems: list[str] = []
        sealed_headers = [h for h in headers if h.number > 0]
        layout_fits = bool(sealed_headers) and all(
            clique_layout_fits(h.extra_data)
            and h.mix_hash == NO_MIX_HASH
            and h.difficulty in CLIQUE_DIFFICULTIES
            for h in sealed_headers
        )
        hash_rule_holds = layout_fits and all(h.computed_hash() == h.reported_hash for h in sealed_headers)
        signers_by_block: dict[int, str] = {}
        if hash_rule_holds:
            for header in sealed_headers:
                try:
                    signers_by_block[header.number] = clique_signer(header)
                except wv.MalformedValue as exc:
                    problems.append(str(exc))
        identified = hash_rule_holds and len(signers_by_block) == len(sealed_headers)

        checkpoint = next(
            (clique_checkpoint_signers(h.extra_data) for h in reversed(headers) if len(h.extra_data) > 97),
            (),
        )
        signer_set = rpc_signers if rpc_signers is not None else checkpoint
        checked = 0
        sealed = 0
        sealers: set[str] = set()
        if identified:
            if not signer_set:
                problems.append("signer set unknown: clique_getSigners unavailable and no checkpoint seen")
            limit = len(signer_set) // 2 + 1
            recent: list[str] = []
            for header in sealed_headers:
                signer = signers_by_block[header.number]
                checked += 1
                evidence.append(
                    Evidence(
                        node.url,
                        "seal signer (recovered)",
                        iso(clock()),
                        value={"block": header.number, "signer": signer},
                    )
                )
                if signer_set and signer not in signer_set:
                    problems.append(f"block {header.number}: sealed by {signer}, not an authorised signer")
                elif signer in (recent[-(limit - 1) :] if limit > 1 else []):
                    problems.append(f"block {header.number}: {signer} sealed again within {limit} blocks")
                elif signer_set:
                    sealed += 1
                    sealers.add(signer)
                recent.append(signer)
        elif layout_fits:
            problems.append("extraData has the Clique layout but block hashes do not follow its rule")

        n = len(signer_set)
        return EngineFinding(
            engine=self.name,
            identified_by_rpc=by_rpc,
            identified_by_headers=identified,
            validators=tuple(signer_set),
            validators_from_rpc=rpc_signers,
            quorum=(n // 2 + 1) if identified and n else None,
            fault_tolerance=clique_fault_tolerance(n) if identified and n else None,
            tolerance_model=TOLERANCE_MODEL,
            blocks_checked=checked,
            blocks_properly_sealed=sealed,
            distinct_sealers=tuple(sorted(sealers)),
            required_distinct_sealers=min(n // 2 + 1, checked) if identified and n else None,
            problems=tuple(problems) if (identified or by_rpc) else (),
            evidence=tuple(evidence),
        )
