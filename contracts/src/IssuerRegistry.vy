#pragma version ~=0.4.3
#pragma evm-version cancun
"""
@title State register of persons issuing secured digital assets
@notice One entry per issuer (12-digit BIN or IIN as 12 ASCII digits in a bytes12), holding only what
        the public register shows: display name, platform name, the current permit's hash, status and
        dates. No personal data.
@dev    Entries are created and refreshed ONLY by the PermitRegistry, in the same transaction that
        anchors a permit (R-REGY-1: never a permit on chain without its issuer entry); the PermitRegistry
        also reports what happens to the issuer's current permit. Registrars (whose roles live in the
        PermitRegistry, the single source of truth for roles) may suspend, revoke and reinstate an issuer
        directly. "Expired" is never stored: it is derived from the current permit's validity when read.
        Every state change emits an event carrying the new status and the time, so the issuer's history
        can be rebuilt from logs alone. Times are unix seconds (see PermitRegistry for the date rule).
"""

interface RoleSource:
    def is_registrar(account: address) -> bool: view

# Stored statuses (0 means "no entry").
STATUS_ACTIVE: constant(uint8) = 1
STATUS_SUSPENDED: constant(uint8) = 2
STATUS_REVOKED: constant(uint8) = 3
# Derived at read time only.
STATUS_EXPIRED: constant(uint8) = 4

# Why an issuer's status changed.
CAUSE_PERMIT: constant(uint8) = 1  # the issuer's current permit was suspended / revoked / reinstated
CAUSE_DIRECT: constant(uint8) = 2  # a registrar acted on the issuer itself

MAX_DISPLAY_NAME: constant(uint256) = 256
MAX_PLATFORM_NAME: constant(uint256) = 128

struct Issuer:
    display_name: String[MAX_DISPLAY_NAME]
    platform_name: String[MAX_PLATFORM_NAME]
    permit_hash: bytes32
    status: uint8
    reason: uint16
    registered_at: uint64
    updated_at: uint64
    valid_until: uint64

struct IssuerStatus:
    status: uint8
    issuer_id: bytes12
    display_name: String[MAX_DISPLAY_NAME]
    platform_name: String[MAX_PLATFORM_NAME]
    permit_hash: bytes32
    reason: uint16
    registered_at: uint64
    updated_at: uint64
    valid_until: uint64

event IssuerRegistered:
    issuer_id: indexed(bytes12)
    permit_hash: indexed(bytes32)
    status: uint8
    display_name: String[MAX_DISPLAY_NAME]
    platform_name: String[MAX_PLATFORM_NAME]
    valid_until: uint64
    registrar: address
    at: uint64

event IssuerUpdated:
    issuer_id: indexed(bytes12)
    permit_hash: indexed(bytes32)
    status: uint8
    display_name: String[MAX_DISPLAY_NAME]
    platform_name: String[MAX_PLATFORM_NAME]
    valid_until: uint64
    registrar: address
    at: uint64

event IssuerStatusChanged:
    issuer_id: indexed(bytes12)
    permit_hash: indexed(bytes32)
    status: uint8
    reason: uint16
    cause: uint8
    registrar: address
    at: uint64

PERMIT_REGISTRY: public(immutable(address))

_issuers: HashMap[bytes12, Issuer]


@deploy
def __init__(permit_registry: address):
    assert permit_registry != empty(address), "zero permit registry"
    PERMIT_REGISTRY = permit_registry


@internal
@pure
def _check_issuer_id(issuer_id: bytes12):
    assert issuer_id != empty(bytes12), "empty issuer id"
    packed: uint256 = convert(issuer_id, uint256)
    for i: uint256 in range(12):
        c: uint256 = (packed >> (8 * (11 - i))) & 255
        assert c >= 48 and c <= 57, "issuer id must be 12 digits"


@internal
@view
def _only_permit_registry():
    assert msg.sender == PERMIT_REGISTRY, "caller is not the permit registry"


@internal
@view
def _only_registrar():
    assert staticcall RoleSource(PERMIT_REGISTRY).is_registrar(msg.sender), "not a registrar"


@internal
@view
def _existing_status(issuer_id: bytes12) -> uint8:
    """Only the status word: acts need no more, and the names alone span up to a dozen slots."""
    status: uint8 = self._issuers[issuer_id].status
    assert status != 0, "unknown issuer"
    return status


@internal
def _set_status(issuer_id: bytes12, status: uint8, reason: uint16, cause: uint8, registrar: address):
    now: uint64 = convert(block.timestamp, uint64)
    self._issuers[issuer_id].status = status
    self._issuers[issuer_id].reason = reason
    self._issuers[issuer_id].updated_at = now
    log IssuerStatusChanged(
        issuer_id=issuer_id,
        permit_hash=self._issuers[issuer_id].permit_hash,
        status=status,
        reason=reason,
        cause=cause,
        registrar=registrar,
        at=now,
    )


@external
def enter(
    issuer_id: bytes12,
    display_name: String[MAX_DISPLAY_NAME],
    platform_name: String[MAX_PLATFORM_NAME],
    permit_hash: bytes32,
    valid_until: uint64,
    registrar: address,
):
    """
    @notice Enter a new issuer, or update an existing one, for a permit just anchored (R-REGY-1).
    @dev    A new permit makes the issuer active whatever its earlier status: issuing it is the
            regulator's decision.
    """
    self._only_permit_registry()
    self._check_issuer_id(issuer_id)
    assert len(display_name) > 0, "empty display name"
    assert len(platform_name) > 0, "empty platform name"
    now: uint64 = convert(block.timestamp, uint64)
    registered_at: uint64 = self._issuers[issuer_id].registered_at
    is_new: bool = self._issuers[issuer_id].status == 0
    if is_new:
        registered_at = now
    self._issuers[issuer_id] = Issuer(
        display_name=display_name,
        platform_name=platform_name,
        permit_hash=permit_hash,
        status=STATUS_ACTIVE,
        reason=0,
        registered_at=registered_at,
        updated_at=now,
        valid_until=valid_until,
    )
    if is_new:
        log IssuerRegistered(
            issuer_id=issuer_id,
            permit_hash=permit_hash,
            status=STATUS_ACTIVE,
            display_name=display_name,
            platform_name=platform_name,
            valid_until=valid_until,
            registrar=registrar,
            at=now,
        )
    else:
        log IssuerUpdated(
            issuer_id=issuer_id,
            permit_hash=permit_hash,
            status=STATUS_ACTIVE,
            display_name=display_name,
            platform_name=platform_name,
            valid_until=valid_until,
            registrar=registrar,
            at=now,
        )


@external
def permit_status_changed(
    issuer_id: bytes12, permit_hash: bytes32, status: uint8, reason: uint16, registrar: address
):
    """
    @notice Reflect an act on a permit onto its issuer: current permit revoked => issuer revoked,
            suspended => suspended, reinstated => active.
    @dev    Acts on a superseded permit leave the issuer alone, and a revoked issuer is never brought
            back by reinstating a permit (only a new permit does that).
    """
    self._only_permit_registry()
    current: uint8 = self._existing_status(issuer_id)
    if self._issuers[issuer_id].permit_hash != permit_hash:
        return
    if current == STATUS_REVOKED or current == status:
        return
    self._set_status(issuer_id, status, reason, CAUSE_PERMIT, registrar)


@external
def suspend_issuer(issuer_id: bytes12, reason: uint16):
    self._only_registrar()
    current: uint8 = self._existing_status(issuer_id)
    assert reason != 0, "reason code required"
    assert current != STATUS_REVOKED, "issuer revoked"
    assert current != STATUS_SUSPENDED, "issuer already suspended"
    self._set_status(issuer_id, STATUS_SUSPENDED, reason, CAUSE_DIRECT, msg.sender)


@external
def revoke_issuer(issuer_id: bytes12, reason: uint16):
    self._only_registrar()
    current: uint8 = self._existing_status(issuer_id)
    assert reason != 0, "reason code required"
    assert current != STATUS_REVOKED, "issuer already revoked"
    self._set_status(issuer_id, STATUS_REVOKED, reason, CAUSE_DIRECT, msg.sender)


@external
def reinstate_issuer(issuer_id: bytes12):
    self._only_registrar()
    current: uint8 = self._existing_status(issuer_id)
    assert current != STATUS_REVOKED, "issuer revoked"
    assert current == STATUS_SUSPENDED, "issuer not suspended"
    self._set_status(issuer_id, STATUS_ACTIVE, 0, CAUSE_DIRECT, msg.sender)


@external
@view
def issuer_status_at(issuer_id: bytes12, at: uint64) -> IssuerStatus:
    """
    @notice The issuer's entry and its status at time `at` in one call: 0 not found, 1 active,
            2 suspended, 3 revoked, 4 expired (active, but the current permit's validity ended).
    """
    entry: Issuer = self._issuers[issuer_id]
    status: uint8 = entry.status
    if status == STATUS_ACTIVE and at >= entry.valid_until:
        status = STATUS_EXPIRED
    return IssuerStatus(
        status=status,
        issuer_id=issuer_id if status != 0 else empty(bytes12),
        display_name=entry.display_name,
        platform_name=entry.platform_name,
        permit_hash=entry.permit_hash,
        reason=entry.reason,
        registered_at=entry.registered_at,
        updated_at=entry.updated_at,
        valid_until=entry.valid_until,
    )
