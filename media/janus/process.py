"""A Janus gateway we start ourselves: its configuration written into a folder of our own.

Tests, the benchmark and ``make demo`` run Janus beside the hub; production runs it from
``docker/compose.yml`` with the same configuration. Only the VideoRoom plugin and the HTTP
transport are loaded (a plugins folder of links to Debian's files), so nothing else listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

__all__ = ["JanusLayout", "janus_available", "running_janus", "write_config"]

LIBRARY = Path("/usr/lib/x86_64-linux-gnu/janus")
PLUGINS = ("libjanus_videoroom.so",)
TRANSPORTS = ("libjanus_http.so",)


@dataclass(frozen=True)
class JanusLayout:
    """Where one instance listens and which address it offers to peers."""

    folder: Path
    http_port: int = 8088
    address: str = "127.0.0.1"  # bound by the HTTP API and offered in the SDP
    rtp_ports: tuple[int, int] = (20000, 20999)
    session_timeout: int = 60
    library: Path = LIBRARY

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.http_port}/janus"


def janus_available() -> bool:
    return shutil.which("janus") is not None and (LIBRARY / "plugins" / PLUGINS[0]).exists()


def _links(target: Path, source: Path, names: tuple[str, ...]) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        link = target / name
        if not link.exists():
            link.symlink_to(source / name)
    return target


def write_config(layout: JanusLayout) -> Path:
    """The configuration folder for ``janus -F``: core, HTTP transport and VideoRoom."""
    folder = layout.folder
    plugins = _links(folder / "plugins", layout.library / "plugins", PLUGINS)
    transports = _links(folder / "transports", layout.library / "transports", TRANSPORTS)
    low, high = layout.rtp_ports
    (folder / "janus.jcfg").write_text(
        "general: {\n"
        f'  configs_folder = "{folder}"\n'
        f'  plugins_folder = "{plugins}"\n'
        f'  transports_folder = "{transports}"\n'
        f'  events_folder = "{folder / "none"}"\n'
        f'  loggers_folder = "{folder / "none"}"\n'
        "  debug_level = 3\n"
        f"  session_timeout = {layout.session_timeout}\n"
        "}\n"
        f'media: {{\n  rtp_port_range = "{low}-{high}"\n}}\n'
        f'nat: {{\n  ice_enforce_list = "{layout.address}"\n}}\n'
        "plugins: {\n}\ntransports: {\n}\nloggers: {\n}\nevents: {\n}\n"
    )
    (folder / "janus.transport.http.jcfg").write_text(
        "general: {\n"
        '  json = "compact"\n  base_path = "/janus"\n  http = true\n'
        f'  port = {layout.http_port}\n  ip = "{layout.address}"\n  https = false\n'
        "}\nadmin: {\n  admin_http = false\n}\ncors: {\n}\n"
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    return folder


async def _answers(url: str, within: float) -> None:
    async with aiohttp.ClientSession() as http:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            try:
                async with http.get(f"{url}/info") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"Janus did not answer on {url} within {within} s")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running_janus(
    layout: JanusLayout, *, prefix: tuple[str, ...] = (), within: float = 10.0
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Janus started with ``layout`` (``prefix`` runs it elsewhere, e.g. in a network
    namespace; it must exec Janus, so the process id is Janus's own); stopped with SIGTERM
    when the block ends. Its log is ``folder/janus.log``."""
    await asyncio.to_thread(write_config, layout)
    log = await asyncio.to_thread((layout.folder / "janus.log").open, "wb")
    config = str(layout.folder / "janus.jcfg")
    process = await asyncio.create_subprocess_exec(
        *prefix, "janus", "-F", str(layout.folder), "-C", config, stdout=log, stderr=log
    )
    try:
        await _answers(layout.url, within)
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m media.janus.process --folder DIR --address ADDR …``: write the configuration
    and become Janus (the container's entry point in docker/compose.yml)."""
    import argparse
    import os

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--folder", required=True, type=Path)
    parser.add_argument("--address", required=True, help="offered to peers, bound by the API")
    parser.add_argument("--http-port", type=int, default=8088)
    parser.add_argument("--rtp-ports", default="20000-20999", help="LOW-HIGH")
    args = parser.parse_args(argv)
    low, high = (int(p) for p in args.rtp_ports.split("-", 1))
    layout = JanusLayout(args.folder, args.http_port, args.address, (low, high))
    folder = write_config(layout)
    os.execvp("janus", ["janus", "-F", str(folder), "-C", str(folder / "janus.jcfg")])


if __name__ == "__main__":
    main()
