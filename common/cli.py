"""The ``qiaolink`` command: start a service, migrate, seed, or run the whole demo."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.db import make_engine, migrate
from common.logs import configure
from common.service import NotMigrated
from common.settings import (
    ConfigError,
    GovnetSimSettings,
    HubSettings,
    NodeSettings,
    ServiceSettings,
    load,
)
from media.errors import MediaConfigError

__all__ = ["main"]


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: str  # has create_app and MIGRATIONS
    settings: type[ServiceSettings]
    env_prefix: str


SERVICES = {
    "hub": ServiceEntry("hub", "hub.app", HubSettings, "QIAOLINK_HUB_"),
    "node": ServiceEntry("node", "overseas_node.app", NodeSettings, "QIAOLINK_NODE_"),
    "govnet-sim": ServiceEntry(
        "govnet-sim", "govnet_sim.app", GovnetSimSettings, "QIAOLINK_GOVNET_"
    ),
}
# The node first: it makes its signing key, which the hub then registers.
SEEDERS = {"node": "overseas_node.seed", "hub": "hub.seed"}


def _settings(entry: ServiceEntry, **overrides: Any) -> ServiceSettings:
    return load(entry.settings, **{k: v for k, v in overrides.items() if v is not None})


async def _migrate(entry: ServiceEntry, settings: ServiceSettings, revision: str) -> None:
    module = importlib.import_module(entry.module)
    engine = make_engine(settings.resolved_database_url())
    try:
        await migrate(engine, module.MIGRATIONS, revision, data_dir=settings.data_dir)
    finally:
        await engine.dispose()


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    entry = SERVICES[args.service]
    settings = _settings(entry, port=args.port, data_dir=args.data_dir)
    configure(entry.name, settings.log_level)
    if args.migrate:
        asyncio.run(_migrate(entry, settings, "heads"))
    module = importlib.import_module(entry.module)
    app = module.create_app(settings)
    print(f"{entry.name} listening on http://{settings.host}:{settings.port}/", flush=True)
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    except NotMigrated as exc:
        print(f"qiaolink: {exc}", file=sys.stderr)
        return 3
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    names = list(SERVICES) if args.service == "all" else [args.service]
    for name in names:
        entry = SERVICES[name]
        settings = _settings(entry, data_dir=args.data_dir)
        asyncio.run(_migrate(entry, settings, args.to))
        print(f"{name}: migrated to {args.to}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    for name, module_name in SEEDERS.items():
        entry = SERVICES[name]
        settings = _settings(entry, data_dir=args.data_dir)
        seeder = importlib.import_module(module_name)
        report = asyncio.run(seeder.seed(settings))
        print(f"{name}: {report}")
    return 0


# which account for which page: role, service, page (written into the credentials file)
DEMO_PAGES = (
    ("clerk.milan", "node", "/intake", "branch clerk: catalogue, applications, receipts"),
    ("officer.wz", "hub", "/queue", "officer: work queue, accept / return / reject"),
    ("supervisor.wz", "hub", "/statistics", "supervisor: statistics and CSV"),
    ("notary.wz", "hub", "/notary", "notary: the day's acts"),
    ("mediator.milan", "hub", "/mediation", "mediator: cases"),
    ("lawyer.chen", "hub", "/consultations/desk", "consultant: video consultations"),
    ("auditor.wz", "hub", "/mediation/audit", "auditor: packages and the audit log"),
    ("(resident)", "hub", "/progress", "resident: number + query code, listed below"),
)


def _write_page_guide(path: Path, ports: dict[str, int]) -> None:
    path.touch(mode=0o600, exist_ok=True)
    text = path.read_text(encoding="utf-8")
    if "# which account for which page" in text:
        return
    lines = ["# which account for which page (sign in with password and authenticator code)"]
    for user, service, page, what in DEMO_PAGES:
        lines.append(f"#   {user:<15} http://127.0.0.1:{ports[service]}{page}  {what}")
    path.write_text("\n".join(lines) + "\n" + text, encoding="utf-8")


def _healthy(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _watch_start(
    children: dict[str, subprocess.Popen[bytes]],
    ports: dict[str, int],
    stopping: Callable[[], bool],
) -> None:
    """Say each service's state once it is known: running, or stopped (with its log)."""
    waiting, deadline = set(children), time.monotonic() + 240
    while waiting and time.monotonic() < deadline and not stopping():
        for name in sorted(waiting):
            if children[name].poll() is not None:
                print(f"  {name:<11} stopped; see logs/{name}.log", flush=True)
                waiting.discard(name)
            elif _healthy(ports[name]):
                print(f"  {name:<11} running", flush=True)
                waiting.discard(name)
        time.sleep(0.3)
    for name in sorted(waiting):
        print(f"  {name:<11} still starting; see logs/{name}.log", flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir or "var/demo").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for entry in SERVICES.values():
        env[f"{entry.env_prefix}DATA_DIR"] = str(data_dir)
    os.environ.update(env)
    cmd_migrate(argparse.Namespace(service="all", to="heads", data_dir=None))
    cmd_seed(argparse.Namespace(data_dir=None))
    ports = {name: _settings(SERVICES[name]).port for name in SERVICES}
    credentials = data_dir / "demo-credentials.txt"
    _write_page_guide(credentials, ports)
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    children: dict[str, subprocess.Popen[bytes]] = {}
    for name in SERVICES:  # each service's log lines go to its file, not to this terminal
        with (logs / f"{name}.log").open("ab") as log:
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "common.cli", name],
                env=env,
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"\nQiaolink demo running (data in {data_dir}); Ctrl-C stops all three.", flush=True)
    for name in SERVICES:
        print(f"  {name:<11} http://127.0.0.1:{ports[name]}/", flush=True)
    print(f"  staff sign-in details and which page is whose: {credentials}", flush=True)
    print(f"  log files: {logs}\n", flush=True)
    _watch_start(children, ports, lambda: stopping)
    status = 0
    while not stopping:
        dead = [name for name, c in children.items() if c.poll() is not None]
        if dead:
            print(
                f"{', '.join(dead)} stopped (see {logs}); stopping the others",
                file=sys.stderr,
                flush=True,
            )
            status = 1
            break
        time.sleep(0.3)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    print("all services stopped", flush=True)
    return status


def cmd_publish(args: argparse.Namespace) -> int:
    """Validate an office's reference-data file and publish what changed (exit 2 if invalid)."""
    from datetime import UTC, datetime

    from hub.calendars.model import CalendarInvalid
    from hub.catalogue.model import CatalogueInvalid
    from hub.reference import publish_file

    settings = load(HubSettings, **({"data_dir": args.data_dir} if args.data_dir else {}))
    path = Path(args.file)
    try:
        report = asyncio.run(publish_file(settings, args.kind, path, datetime.now(UTC)))
    except (CatalogueInvalid, CalendarInvalid) as exc:
        print(f"qiaolink: {path}: not published, {exc}", file=sys.stderr)
        return 2
    except (OSError, NotMigrated) as exc:
        print(f"qiaolink: {path}: not published, {exc}", file=sys.stderr)
        return 2
    print(f"{args.kind} {path}: {report}")
    return 0


def cmd_retimestamp(args: argparse.Namespace) -> int:
    """Extend the timestamp chain of archived acts before the timestamp authority's ends."""
    from common.clock import SystemClock
    from hub.archive import NotArchived, retimestamp_files

    settings = load(HubSettings, **({"data_dir": args.data_dir} if args.data_dir else {}))
    try:
        lines = retimestamp_files(settings, [Path(f) for f in args.files], SystemClock())
    except (NotArchived, OSError) as exc:
        print(f"qiaolink: nothing re-timestamped: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from signing.cli_verify import main as verify_main

    return verify_main(list(args.rest))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="qiaolink", description="Qiaolink services and tools")
    sub = top.add_subparsers(dest="command", required=True)
    for name in SERVICES:
        p = sub.add_parser(name, help=f"start the {name} service")
        p.add_argument("--port", type=int)
        p.add_argument("--data-dir")
        p.add_argument("--migrate", action="store_true", help="migrate the database first")
        p.set_defaults(func=cmd_serve, service=name)
    p = sub.add_parser("migrate", help="run database migrations")
    p.add_argument("service", choices=[*SERVICES, "all"])
    p.add_argument("--to", default="heads", help="target revision; 'base' removes everything")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("seed", help="load demo data (offices, staff, catalogue)")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_seed)
    for kind, what in (
        ("catalogue", "the service items and their guides"),
        ("calendar", "a year's public holidays and make-up working days"),
    ):
        p = sub.add_parser(kind, help=f"publish {what} from a file")
        actions = p.add_subparsers(dest="action", required=True)
        p = actions.add_parser("publish", help=f"validate FILE and publish {what} that changed")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--data-dir")
        p.set_defaults(func=cmd_publish, kind=kind)
    p = sub.add_parser(
        "retimestamp", help="add a new document timestamp to archived signed acts (PDF files)"
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_retimestamp)
    p = sub.add_parser(
        "verify",
        help="verify a signed PDF, a sealed recording or an audit proof offline",
        add_help=False,
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("demo", help="migrate, seed and run hub, node and simulator together")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_demo)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["verify"]:  # its own parser, so that `qiaolink verify --help` is its help
        return cmd_verify(argparse.Namespace(rest=argv[1:]))
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, MediaConfigError) as exc:
        print(f"qiaolink: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
