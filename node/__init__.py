"""The permissioned chain node: py-evm execution, LMDB storage, BFT headers, pool, producer, RPC.

How the pieces fit (interfaces in :mod:`node.abc`):

* :mod:`node.bft` — Besu-QBFT block format: ``extraData`` codec, the block-hash rule (no seals, round 0),
  the commit-seal rule (no seals, round kept), seal signing/recovery, and the import check plugged into
  py-evm's ``ConsensusAPI`` (a quorum of distinct validators of the parent's set).
* :mod:`node.execution` — ``BftPragueVM`` (Prague with BFT header rules, base fee 0, fixed gas limit)
  and ``BftChain``/``BftChainDB`` (headers decoded with the BFT hash).
* :mod:`node.storage` — ``LmdbStore``: py-evm writes are staged and every block is flushed in ONE LMDB
  transaction; namespaced auxiliary keys (``stage``/``put_now``/``get``/``items``) for consensus state,
  permissioning and the like, committed with the next block or alone.
* :mod:`node.chain_service` — ``ChainService`` implements ``ChainServiceAPI``: reads for RPC,
  ``build_candidate`` / ``validate_candidate`` / ``commit_block`` for producers and consensus, plus
  ``validators_after(n)``, ``block_receipts(block)`` and ``add_commit_listener``.
* :mod:`node.txpool` and :mod:`node.permissioning` — ``TxPool`` (``TxPoolAPI``) and the durable account
  allow-list.
* :mod:`node.producer` — ``SingleNodeProducer`` (``BlockProducerAPI``): a validator set of one.
* :mod:`node.events`, :mod:`node.metrics`, :mod:`node.structured_log`, :mod:`node.admin` — WebSocket
  fan-out, Prometheus on ``/metrics``, JSON log lines, the RPC admin interface.
* :mod:`node.service` — the process wiring; :mod:`node.cli` (``permitchain node``) and
  :mod:`node.devnet` (``permitchain devnet``).
"""

from permitchain.keccak_backend import prefer_c_keccak

prefer_c_keccak()  # before anything below imports py-evm, which hashes on import
