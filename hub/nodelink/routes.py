"""The hub's door for branch nodes: sealed messages in, the hub's sealing key out."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pydantic import ValidationError

from common.access import PUBLIC
from common.errors import N_, Invalid
from common.httpsig import load_public_key
from common.service import CLOCK, DB
from common.web import RouteTable
from hub.applications.storage import STORE
from hub.nodelink.service import IntakeMessage, apply_intake
from hub.sessions.crosscheck import MANIFEST_KIND, BranchManifest, check_branch_manifest
from hub.sessions.scope import CASE_STAFF
from signing.sealed import InMemoryReplayStore, ReplayStore, open_sealed

__all__ = ["HUB_NAME", "NODELINK", "NodeLink", "routes"]

HUB_NAME = "hub"
routes = RouteTable()


@dataclass
class NodeLink:
    key: X25519PrivateKey
    keys_dir: Path  # node-<BRANCH>.pub.pem: each registered node's signing key
    replays: ReplayStore = field(default_factory=InMemoryReplayStore)

    def sender_keys(self) -> dict[str, Ed25519PublicKey]:
        return {
            path.name.removeprefix("node-").removesuffix(".pub.pem"): load_public_key(path)
            for path in sorted(self.keys_dir.glob("node-*.pub.pem"))
        }


NODELINK = web.AppKey("nodelink", NodeLink)


@routes.get(
    "/api/node-link/hub-key",
    access=PUBLIC,
    tags=("node-link",),
    summary="The public key nodes seal their messages to",
)
async def hub_key(request: web.Request) -> web.Response:
    raw = (
        request.app[NODELINK]
        .key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return web.json_response({"recipient": HUB_NAME, "x25519": base64.b64encode(raw).decode()})


@routes.post(
    "/api/node-link/inbox",
    access=PUBLIC,
    tags=("node-link",),
    summary="A sealed intake message from a node (the seal's signature authenticates)",
)
async def inbox(request: web.Request) -> web.Response:
    link, now = request.app[NODELINK], request.app[CLOCK].now()
    opened = await open_sealed(
        await request.read(),
        recipient=HUB_NAME,
        recipient_key=link.key,
        sender_keys=link.sender_keys(),
        replays=link.replays,
        at=now,
    )
    try:
        envelope = json.loads(opened.plaintext)
        if opened.kind == MANIFEST_KIND:
            manifest = BranchManifest.model_validate(envelope["message"])
        else:
            message = IntakeMessage.model_validate(envelope["message"])
        key = str(envelope["key"])
    except (ValueError, KeyError, TypeError, ValidationError):
        raise Invalid("nodelink.malformed", N_("The node's message is malformed.")) from None
    if opened.kind == MANIFEST_KIND:  # after a session: the branch's recording, cross-checked
        async with request.app[DB].transaction() as session:
            answer = await check_branch_manifest(
                session,
                sender=opened.sender,
                manifest=manifest,
                now=now,
                staff_of=request.app[CASE_STAFF],
            )
        return web.json_response(answer)
    store = request.app[STORE]
    # a failed commit leaves no file of it behind
    async with store.keeping() as written, request.app[DB].transaction() as session:
        result = await apply_intake(
            session,
            message,
            sender=opened.sender,
            key=key,
            now=now,
            store=store,
            written=written,
        )
    return web.json_response(result)
