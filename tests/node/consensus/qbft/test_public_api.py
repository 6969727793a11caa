import node.consensus.qbft as qbft


def test_public_exports_resolve_and_are_listed_once() -> None:
    assert len(set(qbft.__all__)) == len(qbft.__all__)
    for name in qbft.__all__:
        assert getattr(qbft, name) is not None
