"""Typed settings, parsed once at start-up from the environment (prefix ``QIAOLINK_``)."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from zoneinfo import available_timezones

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from common.numbers import COUNTY_ZONE

__all__ = [
    "ConfigError",
    "GovnetSimSettings",
    "HubSettings",
    "NodeSettings",
    "ServiceSettings",
    "load",
    "secret_field",
]


class ConfigError(Exception):
    """Bad configuration: the message says which variable and why."""


def secret_field(default: Any = None, *, description: str = "") -> Any:
    """A setting that is a secret: left out of ``repr`` and readable from ``<VARIABLE>_FILE``."""
    return Field(
        default=default,
        description=description,
        repr=False,
        json_schema_extra={"secret": True},
    )


def _is_secret(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("secret") is True


class SecretFiles(PydanticBaseSettingsSource):
    """Secrets from files (the ``*_FILE`` convention of container secrets).

    For every field made with :func:`secret_field`, ``<PREFIX><NAME>_FILE`` names a file whose
    content (without its trailing newline) is the value. Setting both the variable and its
    ``_FILE`` twin, or naming a file that cannot be read, stops the start with a clear message.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix", "")).upper()
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            if not _is_secret(field):
                continue
            variable = f"{prefix}{name.upper()}"
            path = os.environ.get(f"{variable}_FILE")
            if path is None:
                continue
            if os.environ.get(variable) is not None:
                raise ConfigError(f"{variable} and {variable}_FILE are both set: keep one")
            try:
                values[name] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(
                    f"{variable}_FILE: cannot read {path} ({exc.strerror or exc})"
                ) from None
        return values


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QIAOLINK_", frozen=True, extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where SQLite files and keys live.")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    database_url: str | None = secret_field(
        description="SQLAlchemy async URL; default is a SQLite file in data_dir."
    )
    db_file: ClassVar[str] = "service.sqlite3"
    log_level: str = "INFO"
    default_locale: str = "zh"
    behind_tls: bool = Field(
        default=False, description="Served over HTTPS (via a proxy): send HSTS, secure cookies."
    )
    trusted_proxies: tuple[str, ...] = Field(
        default=(),
        description="Networks of the reverse proxies whose X-Forwarded-Proto is believed "
        "(JSON list of CIDRs): a request they forward as https gets Secure cookies.",
    )
    metrics_allow: tuple[str, ...] = Field(
        default=("127.0.0.1/32", "::1/128"),
        description="Networks whose callers may read /metrics (JSON list of CIDRs).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, SecretFiles(settings_cls), env_settings, dotenv_settings)

    @field_validator("metrics_allow", "trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for net in value:
            ipaddress.ip_network(net, strict=False)  # ValueError names the bad one
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in {"zh", "en", "it"}:
            raise ValueError("must be zh, en or it")
        return value

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(
            ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        ):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / self.db_file).resolve()}"


class HubSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="QIAOLINK_HUB_", frozen=True, extra="ignore")
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8080"
    govnet_url: str = "http://127.0.0.1:8082"
    # delivery to the provincial platform (outbox relay, callbacks, reconciliation)
    govnet_key_id: str = Field(default="hub", description="Our key id at the platform.")
    govnet_platform_key_file: Path | None = Field(
        default=None, description="The platform's public key; default data_dir/keys/."
    )
    govnet_timeout_s: float = Field(default=10.0, gt=0)
    govnet_reconcile_interval_s: float = Field(default=60.0, gt=0)
    outbox_relay_interval_s: float = Field(default=0.5, gt=0)
    outbox_batch: int = Field(default=100, ge=1, le=1000)
    outbox_concurrency: int = Field(default=16, ge=1, le=256)
    outbox_base_delay_s: float = Field(default=1.0, gt=0)
    outbox_max_delay_s: float = Field(default=300.0, gt=0)
    outbox_max_attempts: int = Field(default=12, ge=1)
    outbox_lease_s: float = Field(default=30.0, gt=0)
    outbox_relay_enabled: bool = True
    audit_head_interval_s: float = Field(
        default=10.0, gt=0, description="How often the audit log signs a new tree head."
    )
    pki_passphrase_file: Path | None = Field(
        default=None, description="Passphrase of the hub's key store; default data_dir/keys/."
    )
    # several instances: Redis for signalling and presence, instance registry in the database
    redis_url: str | None = secret_field(
        description="redis:// URL shared by all instances; unset: in-process (one instance)."
    )
    instance_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="This instance's name in the registry; default HOSTNAME:PORT.",
    )
    instance_heartbeat_s: float = Field(default=5.0, gt=0)
    instance_ttl_s: float = Field(default=20.0, gt=0, description="Silent longer = gone.")
    # how residents reach the office, shown with every service guide
    office_phone: str = Field(default="0577-67861234", min_length=3, max_length=40)
    office_email: str = Field(
        default="wcqw@wencheng.gov.cn", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=120
    )

    zone: str = Field(
        default=COUNTY_ZONE.key,
        description="The hub's time zone: the county's calendar for dates, deadlines, figures.",
    )

    db_file: ClassVar[str] = "hub.sqlite3"

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("not an IANA time zone")
        return value

    def resolved_instance_id(self) -> str:
        return self.instance_id or f"{socket.gethostname()[:50]}:{self.port}"


class NodeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="QIAOLINK_NODE_", frozen=True, extra="ignore")
    port: int = Field(default=8081, ge=1, le=65535)
    branch_code: str = "MIL"
    hub_url: str = "http://127.0.0.1:8080"
    hub_public_url: str = Field(
        default="", description="The hub as residents reach it (receipts' QR); hub_url if empty."
    )
    face_threshold: float = Field(
        default=0.55,
        gt=0,
        lt=1.5,
        description="Largest encoding distance accepted as a match (scripts/face_accuracy.py).",
    )
    face_workers: int = Field(default=1, ge=1, le=16, description="Face model processes.")
    face_challenge_seconds: int = Field(default=60, ge=5, le=600)
    face_template_retention_days: int = Field(default=365, ge=1)
    face_frame_retention_days: int = Field(default=30, ge=1)
    link_enabled: bool = Field(default=True, description="Deliver to and sync from the hub.")
    link_interval_s: float = Field(default=2.0, gt=0, le=600)
    link_timeout_s: float = Field(default=10.0, gt=0, le=120)
    audit_head_interval_s: float = Field(
        default=10.0, gt=0, description="How often the node's audit log signs a new tree head."
    )
    treewatch_interval_s: float = Field(
        default=60.0, gt=0, description="How often the node checks the hub's audit log."
    )
    hub_audit_key_file: Path | None = Field(
        default=None,
        description="The hub's audit-log public key (PEM); default data_dir/keys/hub-audit.pub.pem",
    )

    db_file: ClassVar[str] = "node.sqlite3"


class GovnetSimSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="QIAOLINK_GOVNET_", frozen=True, extra="ignore")
    port: int = Field(default=8082, ge=1, le=65535)
    hub_key_id: str = "hub"
    hub_key_file: Path | None = Field(
        default=None, description="The hub's public key; default data_dir/keys/hub-govnet.pub.pem"
    )
    callback_url: str = "http://127.0.0.1:8080/api/v1/govnet/callbacks"
    signature_max_age_s: float = Field(default=300.0, gt=0)
    step_delay_s: float = Field(default=1.0, ge=0, description="Time a case spends per status.")
    tick_s: float = Field(default=0.2, gt=0, description="How often cases move and callbacks go.")
    return_rate: float = Field(default=0.1, ge=0, le=1, description="Share of cases returned.")
    fault_error_rate: float = Field(default=0.0, ge=0, le=1)
    fault_timeout_rate: float = Field(default=0.0, ge=0, le=1)
    fault_slow_rate: float = Field(default=0.0, ge=0, le=1)
    fault_timeout_s: float = Field(default=30.0, ge=0)
    fault_slow_s: float = Field(default=2.0, ge=0)
    fault_drop_callback_rate: float = Field(default=0.0, ge=0, le=1)
    fault_duplicate_callback_rate: float = Field(default=0.0, ge=0, le=1)
    fault_seed: int | None = None

    db_file: ClassVar[str] = "govnet_sim.sqlite3"


S = TypeVar("S", bound=ServiceSettings)


def load(cls: type[S], **overrides: Any) -> S:
    """Parse settings once; turn validation errors into one readable :class:`ConfigError`."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "?"
            shown = "(hidden)" if _secret(cls, err["loc"]) else repr(err.get("input"))
            lines.append(f"{prefix}{name.upper()}: {err['msg']} (got {shown})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def _secret(cls: type[ServiceSettings], loc: tuple[int | str, ...]) -> bool:
    field = cls.model_fields.get(str(loc[0])) if loc else None
    return field is not None and _is_secret(field)
