#pragma version ~=0.4.3
#pragma evm-version cancun
"""
@title Registry of permits for the issue and circulation of secured digital assets
@notice Anchors the hash of each signed permit (Annex 3 of order 130/NK) with its number, issuer,
        date of issue and end of validity; records revocation, suspension and reinstatement; answers
        "what was this permit's status at time T" in one call.
@dev    Dates. Permits carry calendar dates in Asia/Almaty. On chain they are unix seconds:
          issued_at   = 00:00 Asia/Almaty at the start of the date of issue;
          valid_until = 00:00 Asia/Almaty at the start of the day AFTER the last day of validity.
        A permit is therefore valid on [issued_at, valid_until). Seconds (rather than day numbers) keep
        the time zone and its history (UTC+6 until 2024-03-01, UTC+5 since) off chain, and let any
        verifier compare against a block timestamp. `contracts.permit_dates` converts both ways.

        Roles. One admin (two-step transfer) adds and removes registrars, the regulator's signing
        accounts; only registrars anchor, revoke, suspend and reinstate. The IssuerRegistry reads
        registrar roles from this contract, so roles have one source of truth.

        R-REGY-1. Anchoring calls IssuerRegistry.enter in the same transaction: if the issuer entry
        cannot be written, the anchoring reverts too. Acts on a permit are reported to the
        IssuerRegistry, which reflects them on the issuer when the permit is the issuer's current one.
"""

interface IssuerRegister:
    def PERMIT_REGISTRY() -> address: view
    def enter(
        issuer_id: bytes12,
        display_name: String[256],
        platform_name: String[128],
        permit_hash: bytes32,
        valid_until: uint64,
        registrar: address,
    ): nonpayable
    def permit_status_changed(
        issuer_id: bytes12, permit_hash: bytes32, status: uint8, reason: uint16, registrar: address
    ): nonpayable

# Stored statuses (0 means "no permit").
STORED_ACTIVE: constant(uint8) = 1
STORED_SUSPENDED: constant(uint8) = 2
STORED_REVOKED: constant(uint8) = 3

# Answers of status_at.
STATUS_NOT_FOUND: constant(uint8) = 0
STATUS_VALID: constant(uint8) = 1
STATUS_NOT_YET_VALID: constant(uint8) = 2
STATUS_EXPIRED: constant(uint8) = 3
STATUS_SUSPENDED: constant(uint8) = 4
STATUS_REVOKED: constant(uint8) = 5

# Issuer statuses the IssuerRegistry understands (same numbers as its stored statuses).
ISSUER_ACTIVE: constant(uint8) = 1
ISSUER_SUSPENDED: constant(uint8) = 2
ISSUER_REVOKED: constant(uint8) = 3

MAX_PERMIT_NUMBER: constant(uint256) = 64

struct Permit:
    permit_number: String[MAX_PERMIT_NUMBER]
    issuer_id: bytes12
    issued_at: uint64
    valid_until: uint64
    anchored_at: uint64
    status: uint8
    changed_at: uint64
    reason: uint16

struct PermitStatus:
    status: uint8
    permit_hash: bytes32
    permit_number: String[MAX_PERMIT_NUMBER]
    issuer_id: bytes12
    issued_at: uint64
    valid_until: uint64
    anchored_at: uint64
    changed_at: uint64
    reason: uint16

event PermitAnchored:
    permit_hash: indexed(bytes32)
    issuer_id: indexed(bytes12)
    registrar: indexed(address)
    permit_number: String[MAX_PERMIT_NUMBER]
    issued_at: uint64
    valid_until: uint64
    at: uint64

event PermitSuspended:
    permit_hash: indexed(bytes32)
    issuer_id: indexed(bytes12)
    registrar: indexed(address)
    reason: uint16
    at: uint64

event PermitReinstated:
    permit_hash: indexed(bytes32)
    issuer_id: indexed(bytes12)
    registrar: indexed(address)
    at: uint64

event PermitRevoked:
    permit_hash: indexed(bytes32)
    issuer_id: indexed(bytes12)
    registrar: indexed(address)
    reason: uint16
    at: uint64

event RegistrarAdded:
    account: indexed(address)
    admin: indexed(address)

event RegistrarRemoved:
    account: indexed(address)
    admin: indexed(address)

event AdminTransferStarted:
    admin: indexed(address)
    pending_admin: indexed(address)

event AdminTransferred:
    previous_admin: indexed(address)
    admin: indexed(address)

event IssuerRegistryLinked:
    issuer_registry: indexed(address)
    admin: indexed(address)

admin: public(address)
pending_admin: public(address)
is_registrar: public(HashMap[address, bool])
issuer_registry: public(address)

_permits: HashMap[bytes32, Permit]
_hash_by_number: HashMap[String[MAX_PERMIT_NUMBER], bytes32]


@deploy
def __init__():
    self.admin = msg.sender
    log AdminTransferred(previous_admin=empty(address), admin=msg.sender)


# ---------------------------------------------------------------- roles

@internal
@view
def _only_admin():
    assert msg.sender == self.admin, "not admin"


@internal
@view
def _only_registrar():
    assert self.is_registrar[msg.sender], "not a registrar"


@external
def transfer_admin(new_admin: address):
    """@notice Step one of an admin transfer; the new admin must call accept_admin."""
    self._only_admin()
    assert new_admin != empty(address), "zero address"
    self.pending_admin = new_admin
    log AdminTransferStarted(admin=msg.sender, pending_admin=new_admin)


@external
def accept_admin():
    """@notice Step two: the pending admin takes over, proving it controls its key."""
    assert msg.sender == self.pending_admin, "not pending admin"
    previous: address = self.admin
    self.admin = msg.sender
    self.pending_admin = empty(address)
    log AdminTransferred(previous_admin=previous, admin=msg.sender)


@external
def add_registrar(account: address):
    self._only_admin()
    assert account != empty(address), "zero address"
    assert not self.is_registrar[account], "already a registrar"
    self.is_registrar[account] = True
    log RegistrarAdded(account=account, admin=msg.sender)


@external
def remove_registrar(account: address):
    self._only_admin()
    assert self.is_registrar[account], "not a registrar"
    self.is_registrar[account] = False
    log RegistrarRemoved(account=account, admin=msg.sender)


@external
def link_issuer_registry(issuer_registry: address):
    """
    @notice Bind the IssuerRegistry once. The two contracts point at each other, so one of them must
            learn the other's address after deployment; the check makes a wrong address impossible.
    """
    self._only_admin()
    assert self.issuer_registry == empty(address), "issuer registry already linked"
    assert issuer_registry.is_contract, "issuer registry is not a contract"
    assert staticcall IssuerRegister(issuer_registry).PERMIT_REGISTRY() == self, "issuer registry not bound to this registry"
    self.issuer_registry = issuer_registry
    log IssuerRegistryLinked(issuer_registry=issuer_registry, admin=msg.sender)


# ---------------------------------------------------------------- permits

@internal
@view
def _existing_status(permit_hash: bytes32) -> uint8:
    """Only the status word: acts need no more, and reading the whole record costs a cold slot per field."""
    status: uint8 = self._permits[permit_hash].status
    assert status != 0, "unknown permit"
    return status


@internal
def _report(issuer_id: bytes12, permit_hash: bytes32, issuer_status: uint8, reason: uint16):
    extcall IssuerRegister(self.issuer_registry).permit_status_changed(
        issuer_id, permit_hash, issuer_status, reason, msg.sender
    )


@external
def anchor(
    permit_hash: bytes32,
    permit_number: String[MAX_PERMIT_NUMBER],
    issuer_id: bytes12,
    issued_at: uint64,
    valid_until: uint64,
    display_name: String[256],
    platform_name: String[128],
):
    """
    @notice Anchor a signed permit and, in the same transaction, enter or update its issuer in the
            state register (R-REGY-1).
    """
    self._only_registrar()
    assert self.issuer_registry != empty(address), "issuer registry not linked"
    assert permit_hash != empty(bytes32), "zero permit hash"
    assert self._permits[permit_hash].status == 0, "permit already anchored"
    assert len(permit_number) > 0, "empty permit number"
    assert self._hash_by_number[permit_number] == empty(bytes32), "permit number taken"
    assert issuer_id != empty(bytes12), "empty issuer id"
    assert issued_at != 0, "zero issue date"
    assert valid_until > issued_at, "valid_until not after issue date"
    now: uint64 = convert(block.timestamp, uint64)
    self._permits[permit_hash] = Permit(
        permit_number=permit_number,
        issuer_id=issuer_id,
        issued_at=issued_at,
        valid_until=valid_until,
        anchored_at=now,
        status=STORED_ACTIVE,
        changed_at=0,
        reason=0,
    )
    self._hash_by_number[permit_number] = permit_hash
    log PermitAnchored(
        permit_hash=permit_hash,
        issuer_id=issuer_id,
        registrar=msg.sender,
        permit_number=permit_number,
        issued_at=issued_at,
        valid_until=valid_until,
        at=now,
    )
    extcall IssuerRegister(self.issuer_registry).enter(
        issuer_id, display_name, platform_name, permit_hash, valid_until, msg.sender
    )


@external
def suspend(permit_hash: bytes32, reason: uint16):
    self._only_registrar()
    status: uint8 = self._existing_status(permit_hash)
    assert reason != 0, "reason code required"
    assert status != STORED_REVOKED, "permit revoked"
    assert status != STORED_SUSPENDED, "permit already suspended"
    issuer_id: bytes12 = self._permits[permit_hash].issuer_id
    now: uint64 = convert(block.timestamp, uint64)
    self._permits[permit_hash].status = STORED_SUSPENDED
    self._permits[permit_hash].changed_at = now
    self._permits[permit_hash].reason = reason
    log PermitSuspended(
        permit_hash=permit_hash, issuer_id=issuer_id, registrar=msg.sender, reason=reason, at=now
    )
    self._report(issuer_id, permit_hash, ISSUER_SUSPENDED, reason)


@external
def reinstate(permit_hash: bytes32):
    self._only_registrar()
    status: uint8 = self._existing_status(permit_hash)
    assert status != STORED_REVOKED, "permit revoked"
    assert status == STORED_SUSPENDED, "permit not suspended"
    issuer_id: bytes12 = self._permits[permit_hash].issuer_id
    now: uint64 = convert(block.timestamp, uint64)
    self._permits[permit_hash].status = STORED_ACTIVE
    self._permits[permit_hash].changed_at = now
    self._permits[permit_hash].reason = 0
    log PermitReinstated(permit_hash=permit_hash, issuer_id=issuer_id, registrar=msg.sender, at=now)
    self._report(issuer_id, permit_hash, ISSUER_ACTIVE, 0)


@external
def revoke(permit_hash: bytes32, reason: uint16):
    self._only_registrar()
    status: uint8 = self._existing_status(permit_hash)
    assert reason != 0, "reason code required"
    assert status != STORED_REVOKED, "permit already revoked"
    issuer_id: bytes12 = self._permits[permit_hash].issuer_id
    now: uint64 = convert(block.timestamp, uint64)
    self._permits[permit_hash].status = STORED_REVOKED
    self._permits[permit_hash].changed_at = now
    self._permits[permit_hash].reason = reason
    log PermitRevoked(
        permit_hash=permit_hash, issuer_id=issuer_id, registrar=msg.sender, reason=reason, at=now
    )
    self._report(issuer_id, permit_hash, ISSUER_REVOKED, reason)


# ---------------------------------------------------------------- views

@internal
@view
def _status_at(permit_hash: bytes32, at: uint64) -> PermitStatus:
    permit: Permit = self._permits[permit_hash]
    if permit.status == 0:
        return empty(PermitStatus)
    status: uint8 = STATUS_VALID
    if permit.status == STORED_REVOKED and at >= permit.changed_at:
        status = STATUS_REVOKED
    elif permit.status == STORED_SUSPENDED and at >= permit.changed_at:
        status = STATUS_SUSPENDED
    elif at < permit.issued_at:
        status = STATUS_NOT_YET_VALID
    elif at >= permit.valid_until:
        status = STATUS_EXPIRED
    return PermitStatus(
        status=status,
        permit_hash=permit_hash,
        permit_number=permit.permit_number,
        issuer_id=permit.issuer_id,
        issued_at=permit.issued_at,
        valid_until=permit.valid_until,
        anchored_at=permit.anchored_at,
        changed_at=permit.changed_at,
        reason=permit.reason,
    )


@external
@view
def status_at(permit_hash: bytes32, at: uint64) -> PermitStatus:
    """
    @notice Everything a verifier needs in one call. status: 0 not found, 1 valid, 2 not yet valid,
            3 expired, 4 suspended, 5 revoked. Revocation and suspension count from their own time
            (changed_at), so asking about a moment before the act answers from the dates alone;
            earlier, already lifted suspensions are in the event log, not in this view.
    """
    return self._status_at(permit_hash, at)


@external
@view
def status_by_number(permit_number: String[MAX_PERMIT_NUMBER], at: uint64) -> PermitStatus:
    """@notice status_at, looked up by the permit's number (status 0 when the number is unknown)."""
    return self._status_at(self._hash_by_number[permit_number], at)


@external
@view
def hash_by_number(permit_number: String[MAX_PERMIT_NUMBER]) -> bytes32:
    return self._hash_by_number[permit_number]
