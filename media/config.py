"""Where peers find TURN relays: parsed once at a service's start-up from ``QIAOLINK_TURN_*``.

With no URLs (the default, and in tests) peers use host candidates only. With coturn's
``use-auth-secret``, each participant gets credentials that expire (see ``turn_credentials``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiortc import RTCIceServer
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from media.clock import Clock
from media.errors import MediaConfigError
from media.peers import turn_credentials

__all__ = ["MediaPlaneSettings", "TurnSettings", "load_media_plane", "load_turn"]


class TurnSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QIAOLINK_TURN_", frozen=True, extra="ignore")

    urls: list[str] = Field(default_factory=list, description="turn:/turns:/stun: URLs")
    secret: SecretStr | None = Field(default=None, description="coturn static-auth-secret")
    ttl_minutes: int = Field(default=60, ge=1, le=24 * 60)

    @field_validator("urls")
    @classmethod
    def _schemes(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("turn:", "turns:", "stun:")):
                raise ValueError(f"{url!r} is not a turn:, turns: or stun: URL")
        return value

    def _credentials(self, user: str, clock: Clock) -> dict[str, str]:
        if self.secret is None:
            return {}
        username, credential = turn_credentials(
            self.secret.get_secret_value().encode(),
            user,
            clock,
            timedelta(minutes=self.ttl_minutes),
        )
        return {"username": username, "credential": credential}

    def ice_servers(self, user: str, clock: Clock) -> list[RTCIceServer]:
        """For an aiortc peer of ``user``: fresh time-limited credentials."""
        if not self.urls:
            return []
        return [RTCIceServer(urls=list(self.urls), **self._credentials(user, clock))]

    def browser_ice_servers(self, user: str, clock: Clock) -> list[dict[str, Any]]:
        """The same, in the shape a browser's ``RTCPeerConnection`` takes."""
        if not self.urls:
            return []
        return [{"urls": list(self.urls), **self._credentials(user, clock)}]


class MediaPlaneSettings(BaseSettings):
    """Which media plane carries the hub's sessions: Janus instances, or none (the in-process
    relay, the embedded default)."""

    model_config = SettingsConfigDict(env_prefix="QIAOLINK_MEDIA_", frozen=True, extra="ignore")

    janus_urls: list[str] = Field(
        default_factory=list, description="Janus HTTP API URLs (http://host:8088/janus)"
    )
    janus_timeout_s: float = Field(default=10.0, gt=0, le=120)
    keepalive_s: float = Field(default=15.0, gt=0, le=50, description="inside session_timeout")

    @field_validator("janus_urls")
    @classmethod
    def _http(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return [url.rstrip("/") for url in value]


def _load(kind: type[BaseSettings], prefix: str) -> Any:
    try:
        return kind()
    except ValidationError as exc:
        lines = [
            f"{prefix}{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        ]
        raise MediaConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def load_turn() -> TurnSettings:
    """Parse the TURN settings; bad ones stop the start with a message naming the variable."""
    settings: TurnSettings = _load(TurnSettings, "QIAOLINK_TURN_")
    return settings


def load_media_plane() -> MediaPlaneSettings:
    """Parse the media plane's settings, the same way."""
    settings: MediaPlaneSettings = _load(MediaPlaneSettings, "QIAOLINK_MEDIA_")
    return settings
