"""The node's view of the hub's audit log: last check, latest head seen, alarms."""

from __future__ import annotations

from aiohttp import web

from common.access import Role, allow
from common.service import DB
from common.web import RouteTable
from overseas_node.link.treewatch import TREEWATCH, alarms, latest_seen

__all__ = ["routes"]

routes = RouteTable()


@routes.get(
    "/api/treewatch/status",
    access=allow(Role.CLERK, Role.ADMIN, Role.AUDITOR, read_only=True),
    summary="Is the hub's audit log consistent with everything this node has seen?",
    tags=("audit",),
)
async def status(request: web.Request) -> web.Response:
    watch = request.app[TREEWATCH]
    found = await alarms(request.app[DB])
    last = watch.last
    return web.json_response(
        {
            "hub_url": watch.hub_url,
            "alarm": bool(found),
            "last_check": None
            if last is None
            else {
                "at": last.at.isoformat(),
                "outcome": last.outcome,
                "detail": last.detail,
                "tree_size": last.tree_size,
            },
            "latest_seen": await latest_seen(request.app[DB]),
            "alarms": found,
        }
    )
