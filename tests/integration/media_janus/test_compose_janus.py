"""The site's Janus instances in docker/compose.yml: every URL the hubs are given is one of
them, their RTP ranges do not overlap, and they record into the volume the hubs seal from."""

from __future__ import annotations

import itertools
import json

from ..test_compose import DOCKER, _rendered


def test_the_hubs_janus_urls_are_the_sites_janus_instances() -> None:
    services = _rendered(DOCKER / "compose.yml")["services"]
    janus = {n: s for n, s in services.items() if s.get("build", {}).get("target") == "janus"}
    assert len(janus) >= 2, "several Janus instances, so a lost one can be replaced"
    ports, ranges = set(), []
    for service in janus.values():
        args = dict(zip(service["command"][::2], service["command"][1::2], strict=True))
        ports.add(int(args["--http-port"]))
        low, high = (int(p) for p in args["--rtp-ports"].split("-"))
        ranges.append((low, high))
        mounts = [
            f"{v['source']}:{v['target']}" if isinstance(v, dict) else v.removesuffix(":rw")
            for v in service["volumes"]
        ]
        assert "recordings:/var/lib/qiaolink/recordings" in mounts
    ranges.sort()
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    hubs = [n for n, s in services.items() if s.get("build", {}).get("target") == "hub"]
    for name in hubs:
        urls = json.loads(services[name]["environment"]["QIAOLINK_MEDIA_JANUS_URLS"])
        assert {int(u.split(":")[2].split("/")[0]) for u in urls} == ports, name
