"""Service settings, validated where they are loaded (pydantic-settings, env prefix ``REGISTRY_``).

Fail fast: outside ``dev``/``test`` a missing or short token secret refuses to start, and there is no
default secret anywhere (dev/test get a random one per process). Staff roles are an allow-list of IINs
under the regulator's BIN; nobody else gets a regulator role.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from permitchain.errors import RuleProfileError
from permitchain.rule_profile import BUNDLED_PROFILES_DIR, DEFAULT_PROFILE_KEY, ProfileCatalog, RuleProfile
from registry_api.calendar import WorkingCalendar, load_transfers
from registry_api.calendar.working_days import BUNDLED_TRANSFERS
from registry_api.exceptions import ConfigurationError

MIN_SECRET_LENGTH = 32
StaffRole = Literal["officer", "head", "auditor"]


class StaffMember(BaseModel):
    """One regulator employee: the IIN in their EDS certificate and the role they act in."""

    iin: str = Field(pattern=r"^\d{12}$")
    role: StaffRole


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", env_nested_delimiter="__", extra="forbid")

    environment: Literal["dev", "test", "production"] = "production"
    database_url: str = "sqlite:///var/registry.sqlite3"
    token_secret: SecretStr | None = None
    token_ttl_seconds: int = Field(default=900, gt=0, le=3600)
    challenge_ttl_seconds: int = Field(default=120, gt=0, le=600)
    max_live_challenges: int = Field(default=10_000, gt=0)  # unauthenticated writes stay bounded

    profile_key: str = DEFAULT_PROFILE_KEY
    profiles_dirs: list[Path] = Field(default_factory=list)
    transfers_file: Path = BUNDLED_TRANSFERS
    at_risk_working_days: int = Field(default=1, ge=0)

    max_request_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    max_attachment_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    max_attachments: int = Field(default=10, gt=0)

    regulator_bin: str = Field(default="", pattern=r"^(\d{12})?$")
    staff: list[StaffMember] = Field(default_factory=list)

    # EDS: trusted roots, intermediates and CRLs (files), and the head's signing key (PKCS#12 or PEM).
    trust_roots: list[Path] = Field(default_factory=list)
    trust_intermediates: list[Path] = Field(default_factory=list)
    trust_crls: list[Path] = Field(default_factory=list)
    strict_iin_checksum: bool = True
    dev_pki_dir: Path | None = None  # dev/test only: trust and head key from a kz_eds dev PKI folder
    head_key_file: Path | None = None
    head_key_password: SecretStr | None = None

    public_base_url: str = "http://localhost:8000"
    # Shipped with the package (DejaVu fonts licence beside it) so a fresh machine needs no font package.
    pdf_font_file: Path = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "DejaVuSans.ttf"
    monitoring_url: str | None = None
    outbox_backoff_seconds: float = Field(default=2.0, gt=0)
    outbox_backoff_cap_seconds: float = Field(default=600.0, gt=0)
    outbox_interval_seconds: float = Field(default=5.0, gt=0)
    outbox_batch: int = Field(default=50, gt=0)

    # Chain (anchoring, permit status acts): node RPC URLs (failover in this order), the deployment
    # written by `permitchain contracts deploy`, the registrar's encrypted keystore and its password.
    chain_rpc_urls: list[str] = Field(default_factory=list)
    chain_addresses_file: Path | None = None
    registrar_keystore_file: Path | None = None
    registrar_password_file: Path | None = None
    registrar_password: SecretStr | None = None
    chain_gas_price: int = Field(default=0, ge=0)
    chain_rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    chain_confirmation_timeout_seconds: float = Field(default=60.0, gt=0)
    anchor_interval_seconds: float = Field(default=2.0, gt=0)
    anchor_backoff_seconds: float = Field(default=2.0, gt=0)
    anchor_backoff_cap_seconds: float = Field(default=300.0, gt=0)

    # Platform check before a permit is signed (R-DOC-1.3): the regulator's Ed25519 report key, how old
    # a passing report may be, and whether loopback/private addresses may be probed (tests, never prod).
    # ``require_platform_check`` unset means: required everywhere except the "test" environment.
    require_platform_check: bool | None = None
    platform_check_key_file: Path | None = None
    platform_check_max_age_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    platform_check_allow_private: bool = False
    platform_check_liveness_window_seconds: float = Field(default=30.0, gt=0)
    platform_check_timeout_seconds: float = Field(default=60.0, gt=0)

    body_name_kk: str = (
        "Қазақстан Республикасының Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі"
    )
    body_name_ru: str = (
        "Министерство цифрового развития, инноваций и аэрокосмической промышленности Республики Казахстан"
    )
    body_requisites: str = "010000, Астана, пр. Мәңгілік Ел, 55/14"

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _secrets_are_real(self) -> Settings:
        secret = self.token_secret.get_secret_value() if self.token_secret else ""
        if len(secret) < MIN_SECRET_LENGTH:
            if self.environment not in ("dev", "test"):
                raise ValueError(
                    f"REGISTRY_TOKEN_SECRET must be set to at least {MIN_SECRET_LENGTH} characters "
                    f"outside dev/test (environment is {self.environment!r})"
                )
            if not secret:
                self.token_secret = SecretStr(secrets.token_urlsafe(MIN_SECRET_LENGTH))
        if self.dev_pki_dir is not None and self.environment not in ("dev", "test"):
            raise ValueError("REGISTRY_DEV_PKI_DIR is for dev/test only; configure trust files in production")
        if self.staff and not self.regulator_bin:
            raise ValueError("REGISTRY_REGULATOR_BIN is required when staff roles are configured")
        chain = {
            "REGISTRY_CHAIN_RPC_URLS": bool(self.chain_rpc_urls),
            "REGISTRY_CHAIN_ADDRESSES_FILE": self.chain_addresses_file is not None,
            "REGISTRY_REGISTRAR_KEYSTORE_FILE": self.registrar_keystore_file is not None,
            "REGISTRY_REGISTRAR_PASSWORD_FILE or _PASSWORD": (
                self.registrar_password_file is not None or self.registrar_password is not None
            ),
        }
        if any(chain.values()) and not all(chain.values()):
            missing = ", ".join(name for name, given in chain.items() if not given)
            raise ValueError(f"anchoring needs all chain settings; missing: {missing}")
        if self.platform_check_allow_private and self.environment == "production":
            raise ValueError("REGISTRY_PLATFORM_CHECK_ALLOW_PRIVATE is for dev/test only (SSRF)")
        return self

    @property
    def anchoring_enabled(self) -> bool:
        return bool(self.chain_rpc_urls)

    @property
    def platform_check_required(self) -> bool:
        """Whether the head may sign a permit only with a passing, fresh platform-check report."""
        if self.require_platform_check is None:
            return self.environment != "test"
        return self.require_platform_check

    @cached_property
    def profile(self) -> RuleProfile:
        """The active rule profile (configurable so a successor order needs no code change)."""
        return ProfileCatalog.from_dirs([BUNDLED_PROFILES_DIR, *self.profiles_dirs]).get(self.profile_key)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.profile, load_transfers(self.transfers_file))

    def secret_bytes(self) -> bytes:
        if self.token_secret is None:  # unreachable after validation; keeps the type honest
            raise ConfigurationError("token secret is not configured")
        return self.token_secret.get_secret_value().encode()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment plus ``overrides``; invalid settings become a ConfigurationError."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc
    try:  # fail fast: the profile and the calendar data are read now, not at the first request
        _ = settings.calendar
    except RuleProfileError as exc:
        raise ConfigurationError(f"invalid settings: {exc.message}") from exc
    return settings
