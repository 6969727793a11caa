# pragma version ~=0.4.3
"""A tiny contract exercising what RPC conformance needs: storage, an indexed event, a revert reason."""

event Stored:
    who: indexed(address)
    value: uint256

stored: public(uint256)


@external
def store(amount: uint256):
    assert amount != 13, "unlucky number"
    self.stored = amount
    log Stored(who=msg.sender, value=amount)


@external
@view
def fail_without_reason() -> uint256:
    assert self.stored == max_value(uint256)
    return self.stored
