"""Remote mediation (涉侨纠纷多元化解): cases, multi-party sessions, agreements, packages."""

from common.web import RouteTable
from hub.mediation import (
    desk,
    figures,
    meetings,
    package,
    pages,
    party,
    party_pages,
    routes,
    session_page,
)
from hub.mediation.runtime import install

__all__ = ["install", "mediation_routes"]

mediation_routes = RouteTable()
mediation_routes.extend(routes.routes)
mediation_routes.extend(party.routes)
mediation_routes.extend(package.routes)
mediation_routes.extend(meetings.routes)
mediation_routes.extend(figures.routes)
mediation_routes.extend(pages.page_routes)
mediation_routes.extend(desk.desk_routes)
mediation_routes.extend(party_pages.party_page_routes)
mediation_routes.extend(session_page.session_page_routes)
