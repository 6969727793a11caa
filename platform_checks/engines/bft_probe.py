"""What QBFT and IBFT 2.0 share: decode each recent header's extraData, prove the hashing rule,
recover the commit seals and judge them against the parent's validator set (Besu's import rule:
no duplicate signer, every signer a validator of the parent, at least a quorum of them).
"""

from __future__ import annotations

from collections.abc import Sequence

from platform_checks import wire_values as wv
from platform_checks.block_header import BlockHeader
from platform_checks.engines.base import Clock, EngineFinding, RpcCaller, probe_rpc_list
from platform_checks.engines.bft_extra_data import (
    BFT_MIX_HASH,
    BftExtraData,
    BftLayout,
    bft_fault_tolerance,
    bft_quorum,
    commit_seal_signers,
    decode_bft_extra_data,
)
from platform_checks.model import Evidence, iso

TOLERANCE_MODEL = "byzantine: f = (n-1)//3 of n validators, quorum ceil(2n/3) commit seals"


async def probe_bft(
    node: RpcCaller,
    headers: Sequence[BlockHeader],
    clock: Clock,
    *,
    layout: BftLayout,
    rpc_prefix: str,
) -> EngineFinding:
    """Run the BFT header and RPC probes for one layout (``qbft``/``ibft``) on one node."""
    method = f"{rpc_prefix}_getValidatorsByBlockNumber"
    by_rpc, rpc_validators, rpc_evidence = await probe_rpc_list(
        node, method, ["latest"], clock, lambda raw: wv.address_list(raw, method)
    )
    evidence: list[Evidence] = [rpc_evidence]
    problems: list[str] = []

    decoded: list[tuple[BlockHeader, BftExtraData]] = []
    for header in headers:
        try:
            decoded.append((header, decode_bft_extra_data(header.extra_data, layout)))
        except wv.MalformedValue as exc:
            problems.append(f"block {header.number}: {exc}")
    layout_fits = bool(headers) and len(decoded) == len(headers)
    hash_rule_holds = layout_fits and all(
        h.hash_with_extra_data(x.encode_for_block_hash()) == h.reported_hash for h, x in decoded
    )
    if layout_fits and not hash_rule_holds:
        problems.append(f"extraData has the {layout.value} layout but block hashes do not follow its rule")
    if layout_fits and any(h.mix_hash != BFT_MIX_HASH for h, _ in decoded):
        problems.append("mixHash is not the BFT marker on every block")
    identified = layout_fits and hash_rule_holds

    validators: tuple[str, ...] = decoded[-1][1].validators if decoded else ()
    checked = 0
    sealed = 0
    sealers: set[str] = set()
    if identified:
        for index, (header, extra) in enumerate(decoded):
            if index == 0 or header.number == 0:
                continue  # seals are judged against the parent's set, so the oldest is context only
            parent_set = set(decoded[index - 1][1].validators)
            checked += 1
            signers = commit_seal_signers(header, extra)
            good = [s for s in signers if s in parent_set]
            quorum = bft_quorum(len(parent_set))
            evidence.append(
                Evidence(
                    node.url,
                    "commit seals (recovered)",
                    iso(clock()),
                    value={"block": header.number, "round": extra.round, "signers": signers},
                )
            )
            if len(set(good)) != len(good) or len(good) != len(signers):
                problems.append(f"block {header.number}: seals by non-validators or duplicated signers")
            elif len(good) < quorum:
                problems.append(f"block {header.number}: {len(good)} seals, quorum is {quorum}")
            else:
                sealed += 1
                sealers.update(good)
        if rpc_validators is not None and set(rpc_validators) != set(validators):
            problems.append(f"{method} disagrees with the validators in the latest header")

    n = len(validators)
    return EngineFinding(
        engine=layout.value,
        identified_by_rpc=by_rpc,
        identified_by_headers=identified,
        validators=validators,
        validators_from_rpc=rpc_validators,
        quorum=bft_quorum(n) if identified else None,
        fault_tolerance=bft_fault_tolerance(n) if identified else None,
        tolerance_model=TOLERANCE_MODEL,
        blocks_checked=checked,
        blocks_properly_sealed=sealed,
        distinct_sealers=tuple(sorted(sealers)),
        required_distinct_sealers=bft_quorum(n) if identified else None,
        problems=tuple(problems) if (identified or by_rpc) else (),
        evidence=tuple(evidence),
    )
