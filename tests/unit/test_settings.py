from __future__ import annotations

from pathlib import Path

import pytest

from common.settings import ConfigError, HubSettings, NodeSettings, load


def test_defaults_put_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load(HubSettings, data_dir=tmp_path)
    assert settings.resolved_database_url() == f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    assert load(NodeSettings, data_dir=tmp_path).resolved_database_url().endswith("node.sqlite3")


def test_environment_is_read_with_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIAOLINK_HUB_PORT", "9100")
    monkeypatch.setenv("QIAOLINK_HUB_DATABASE_URL", "postgresql+asyncpg://u@db/hub")
    settings = load(HubSettings)
    assert settings.port == 9100
    assert settings.resolved_database_url() == "postgresql+asyncpg://u@db/hub"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("QIAOLINK_HUB_PORT", "70000", "QIAOLINK_HUB_PORT"),
        ("QIAOLINK_HUB_DATABASE_URL", "mysql://x", "QIAOLINK_HUB_DATABASE_URL"),
        ("QIAOLINK_HUB_DEFAULT_LOCALE", "fr", "QIAOLINK_HUB_DEFAULT_LOCALE"),
        ("QIAOLINK_HUB_LOG_LEVEL", "LOUD", "QIAOLINK_HUB_LOG_LEVEL"),
    ],
)
def test_bad_configuration_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=named):
        load(HubSettings)


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load(HubSettings, data_dir=tmp_path)
    with pytest.raises(Exception, match="frozen"):
        settings.port = 1  # type: ignore[misc]


def test_a_database_password_stays_out_of_reprs_and_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = "postgresql+asyncpg://hub:s3cret-pw@db/hub"
    settings = load(HubSettings, database_url=url)
    assert "s3cret-pw" not in repr(settings) and "s3cret-pw" not in str(settings)
    assert settings.resolved_database_url() == url
    monkeypatch.setenv("QIAOLINK_HUB_DATABASE_URL", "mysql://root:s3cret-pw@db/hub")
    with pytest.raises(ConfigError) as caught:
        load(HubSettings)
    assert "QIAOLINK_HUB_DATABASE_URL" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)


def test_a_secret_is_read_from_the_file_its_FILE_variable_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("postgresql+asyncpg://hub:s3cret@db/hub\n")
    monkeypatch.setenv("QIAOLINK_HUB_DATABASE_URL_FILE", str(secret))
    monkeypatch.setenv("QIAOLINK_HUB_REDIS_URL_FILE", str(secret))  # any secret field works
    settings = load(HubSettings)
    assert settings.resolved_database_url() == "postgresql+asyncpg://hub:s3cret@db/hub"
    assert "s3cret" not in repr(settings)


def test_a_secret_file_is_still_validated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("mysql://nope\n")
    monkeypatch.setenv("QIAOLINK_HUB_DATABASE_URL_FILE", str(secret))
    with pytest.raises(ConfigError, match="QIAOLINK_HUB_DATABASE_URL"):
        load(HubSettings)


def test_a_missing_secret_file_or_two_sources_stop_the_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QIAOLINK_HUB_DATABASE_URL_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="QIAOLINK_HUB_DATABASE_URL_FILE: cannot read"):
        load(HubSettings)
    (tmp_path / "present").write_text("sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("QIAOLINK_HUB_DATABASE_URL_FILE", str(tmp_path / "present"))
    monkeypatch.setenv("QIAOLINK_HUB_DATABASE_URL", "sqlite+aiosqlite:///y.db")
    with pytest.raises(ConfigError, match="both set"):
        load(HubSettings)


def test_a_plain_setting_has_no_FILE_twin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "port").write_text("9999")
    monkeypatch.setenv("QIAOLINK_HUB_PORT_FILE", str(tmp_path / "port"))
    assert load(HubSettings).port == 8080


def test_metrics_networks_must_be_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIAOLINK_HUB_METRICS_ALLOW", '["10.0.0.0/8", "not-a-net"]')
    with pytest.raises(ConfigError, match="QIAOLINK_HUB_METRICS_ALLOW"):
        load(HubSettings)
