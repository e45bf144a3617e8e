"""The `qiaolink` command as a newcomer uses it: real processes, real ports, a temp directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PREFIX = {"hub": "QIAOLINK_HUB_", "node": "QIAOLINK_NODE_", "govnet-sim": "QIAOLINK_GOVNET_"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOLINK_")}
    env.update(extra)
    return env


def _qiaolink(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "common.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_healthy(port: int, timeout: float = 30) -> dict[str, object]:
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                return json.loads(resp.read())  # type: ignore[no-any-return]
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"nothing healthy on port {port} after {timeout}s")


def _port_closed(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
    except (urllib.error.URLError, ConnectionError):
        return True
    return False


@pytest.mark.parametrize("service", sorted(PREFIX))
def test_each_service_starts_in_a_temp_dir_and_stops_on_ctrl_c(
    tmp_path: Path, service: str
) -> None:
    port = free_port()
    proc = _qiaolink(
        service, "--migrate", "--port", str(port), "--data-dir", str(tmp_path), env=_env()
    )
    try:
        assert _wait_healthy(port)["service"] == service
        assert any(tmp_path.glob("*.sqlite3")), "the embedded database lives in the data dir"
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_bad_configuration_stops_with_a_clear_message(tmp_path: Path) -> None:
    proc = _qiaolink(
        "hub", env=_env(QIAOLINK_HUB_PORT="eighty", QIAOLINK_HUB_DATA_DIR=str(tmp_path))
    )
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "QIAOLINK_HUB_PORT" in err
    assert "Traceback" not in err


def test_unmigrated_database_stops_with_the_command_to_run(tmp_path: Path) -> None:
    proc = _qiaolink("node", "--port", str(free_port()), "--data-dir", str(tmp_path), env=_env())
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3
    assert "qiaolink migrate node" in err
    assert "Traceback" not in err


def test_demo_brings_up_all_three_and_ctrl_c_stops_them(tmp_path: Path) -> None:
    ports = {name: free_port() for name in PREFIX}
    env = _env(**{f"{PREFIX[name]}PORT": str(port) for name, port in ports.items()})
    proc = _qiaolink("demo", "--data-dir", str(tmp_path), env=env)
    try:
        for name, port in ports.items():
            # migrating, seeding a day of work and starting take a while on a busy machine
            assert _wait_healthy(port, timeout=240)["service"] == name
        lines = (tmp_path / "demo-credentials.txt").read_text().splitlines()
        credentials = [line for line in lines if not line.startswith("#")]
        roles = {line.split("\t")[1].split(".")[0] for line in credentials}
        guide = "\n".join(line for line in lines if line.startswith("#"))
        officer = next(line for line in guide.splitlines() if "officer.wz" in line)
        assert f"http://127.0.0.1:{ports['hub']}/queue" in officer
        assert "query code" in guide  # the residents' applications, to follow on /progress
        assert any(line.startswith("node\tclerk.milan\t") for line in credentials)
        assert roles >= {"clerk", "officer", "notary", "mediator", "supervisor", "auditor", "admin"}
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    for name, port in ports.items():
        assert f"http://127.0.0.1:{port}/" in out
        assert _port_closed(port), f"{name} still answers after Ctrl-C"
        assert (tmp_path / "logs" / f"{name}.log").stat().st_size > 0
    assert '"level"' not in out  # log lines go to the files, not to the terminal
    assert " running" in out and "stopped;" not in out  # each service's state is told
