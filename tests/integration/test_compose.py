"""The container site: every compose file is valid for Debian's docker-compose (no engine
needed), its variables are settings the services really read, migrations run once before the
hubs, and the TURN relay refuses to reach private networks."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from common.settings import GovnetSimSettings, HubSettings, NodeSettings, ServiceSettings
from media.config import MediaPlaneSettings

DOCKER = Path(__file__).resolve().parents[2] / "docker"
COMPOSE_FILES = sorted(
    p for p in DOCKER.rglob("*.y*ml") if p.name.startswith(("compose", "docker-compose"))
)
PREFIXES: dict[str, type[ServiceSettings]] = {
    "QIAOLINK_HUB_": HubSettings,
    "QIAOLINK_NODE_": NodeSettings,
    "QIAOLINK_GOVNET_": GovnetSimSettings,
}
TURN_SETTINGS = {"URLS", "SECRET", "SECRET_FILE", "TTL_MINUTES"}  # media's TurnSettings


def _compose(*args: str, file: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: run scripts/system-deps.sh (make system-deps)")
    return subprocess.run(
        ["docker-compose", "-f", str(file), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=file.parent,
    )


def _rendered(file: Path) -> dict[str, Any]:
    result = _compose("config", file=file)
    assert result.returncode == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert isinstance(doc, dict)
    return doc


def test_there_is_a_compose_file() -> None:
    assert DOCKER / "compose.yml" in COMPOSE_FILES


@pytest.mark.parametrize("file", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_compose_file_validates(file: Path) -> None:
    result = _compose("config", "-q", file=file)
    assert result.returncode == 0, result.stderr


def test_a_broken_compose_file_is_caught(tmp_path: Path) -> None:
    doc = yaml.safe_load((DOCKER / "compose.yml").read_text())
    doc["services"]["hub-a"]["depends_on"]["no-such-service"] = {"condition": "service_started"}
    broken = tmp_path / "compose.yml"
    broken.write_text(yaml.safe_dump(doc))
    (tmp_path / "nginx.conf").write_text("")
    result = _compose("config", "-q", file=broken)
    assert result.returncode != 0
    assert "no-such-service" in result.stderr


def _known(variable: str) -> bool:
    if variable.startswith("QIAOLINK_TURN_"):
        return variable.removeprefix("QIAOLINK_TURN_") in TURN_SETTINGS
    if variable.startswith("QIAOLINK_MEDIA_"):
        return variable.removeprefix("QIAOLINK_MEDIA_").lower() in MediaPlaneSettings.model_fields
    for prefix, settings in PREFIXES.items():
        if variable.startswith(prefix):
            name = variable.removeprefix(prefix).lower()
            fields = settings.model_fields
            if name.endswith("_file") and name.removesuffix("_file") in fields:
                extra = fields[name.removesuffix("_file")].json_schema_extra
                return isinstance(extra, dict) and extra.get("secret") is True
            return name in fields
    return True  # another program's variable (POSTGRES_*, …)


@pytest.mark.parametrize("file", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_qiaolink_variable_is_a_setting_and_secrets_come_from_files(file: Path) -> None:
    services = _rendered(file)["services"]
    for name, service in services.items():
        env = service.get("environment") or {}
        unknown = [v for v in env if v.startswith("QIAOLINK_") and not _known(v)]
        assert not unknown, f"{name} sets variables no service reads: {unknown}"
        for variable, value in env.items():
            if variable.endswith(("DATABASE_URL", "REDIS_URL", "SECRET")):
                pytest.fail(f"{name}: {variable} must come from a file ({variable}_FILE)")
            if variable.endswith(("SECRET_FILE", "DATABASE_URL_FILE", "REDIS_URL_FILE")):
                assert str(value).startswith("/run/secrets/"), (name, variable)


def test_migrations_run_once_before_every_hub_and_never_in_a_hub() -> None:
    services = _rendered(DOCKER / "compose.yml")["services"]
    hubs = [n for n, s in services.items() if s.get("build", {}).get("target") == "hub"]
    migrators = [n for n in hubs if "migrate" in (services[n].get("command") or [])]
    assert migrators == ["migrate"]
    assert services["migrate"]["command"] == ["migrate", "all"]
    instances = [n for n in hubs if n != "migrate"]
    assert len(instances) >= 2, "a production-like site runs several hub instances"
    for name in [*instances, "govnet-sim", "node"]:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "--migrate" not in (service.get("command") or [])
    ids = {services[n]["environment"]["QIAOLINK_HUB_INSTANCE_ID"] for n in instances}
    assert len(ids) == len(instances), "each hub instance has its own id"
    assert all("QIAOLINK_HUB_REDIS_URL_FILE" in services[n]["environment"] for n in instances)


def test_every_hub_instance_stands_behind_the_proxy() -> None:
    services = _rendered(DOCKER / "compose.yml")["services"]
    instances = [
        n
        for n, s in services.items()
        if s.get("build", {}).get("target") == "hub" and n != "migrate"
    ]
    nginx = (DOCKER / "nginx.conf").read_text()
    for name in instances:
        assert f"server {name}:8080" in nginx
        assert not services[name].get("ports"), f"{name} is reached only through the proxy"
    assert "location = /metrics { return 404; }" in nginx


def _turn_denied() -> list[tuple[ipaddress._BaseAddress, ipaddress._BaseAddress]]:
    ranges = []
    for line in (DOCKER / "turnserver.conf").read_text().splitlines():
        if line.startswith("denied-peer-ip="):
            value = line.split("=", 1)[1].strip()
            low, _, high = value.partition("-")
            ranges.append((ipaddress.ip_address(low), ipaddress.ip_address(high or low)))
    return ranges


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.28.0.5",
        "192.168.1.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "::1",
        "fd00::5",
        "fe80::1",
        "::ffff:10.0.0.1",
    ],
)
def test_turn_refuses_to_relay_to_private_and_loopback_addresses(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert any(
        low.version == ip.version and low <= ip <= high  # type: ignore[operator]
        for low, high in _turn_denied()
    ), f"coturn would relay to {address}"


def test_turn_relays_to_public_addresses_with_expiring_credentials_only() -> None:
    ip = ipaddress.ip_address("93.184.216.34")
    assert not any(
        low.version == 4 and low <= ip <= high  # type: ignore[operator]
        for low, high in _turn_denied()
    )
    conf = (DOCKER / "turnserver.conf").read_text().splitlines()
    assert "use-auth-secret" in conf
    assert "no-multicast-peers" in conf and "no-loopback-peers" in conf
    assert not [line for line in conf if line.startswith("static-auth-secret")], (
        "the TURN secret comes from the secret file, not from the committed config"
    )
