"""The hub's application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from common.access import PUBLIC, Role
from common.auditlog import audit_log_routes
from common.clock import Clock
from common.db import Database
from common.httpsig import load_or_create_x25519_key
from common.metrics import COLLECTORS
from common.secretbox import service_box
from common.service import CLOCK, DB, PAGES, ServiceSpec, build_app
from common.settings import HubSettings
from common.signin import ROLE_HOME, SIGNIN_BOX, SIGNIN_TABLES, STAFF_LOOKUP, signin_routes
from common.web import AUTHENTICATOR, Authenticator, RouteTable
from hub import notarization, presence
from hub.accounts.nodes import NodeOrSession, NodeSignatures
from hub.accounts.service import lookup_staff
from hub.applications.pages import routes as application_pages
from hub.applications.platform import ApplicationStatusSink
from hub.applications.progress import routes as progress_pages
from hub.applications.routes import intake_ctx
from hub.applications.routes import routes as application_routes
from hub.applications.storage import STORE, MaterialStore
from hub.auditlog import runtime as auditlog_runtime
from hub.catalogue.routes import routes as catalogue_routes
from hub.catalogue.runtime import OFFICE_CONTACT
from hub.catalogue.service import OfficeContact
from hub.complaints.pages import page_routes as complaint_pages
from hub.complaints.routes import COMPLAINT_STORE
from hub.complaints.routes import routes as complaint_routes
from hub.consultation import consultation_routes
from hub.consultation.service import consultation_staff
from hub.consultation.sessions import session_people as consultation_people
from hub.db import audit_events, node_keys, signin_tables, staff_sessions
from hub.govnet import runtime as govnet_runtime
from hub.govnet.callbacks import routes as govnet_callback_routes
from hub.govnet.ops import outbox_collector
from hub.govnet.ops import routes as govnet_ops_routes
from hub.govnet.runtime import STATUS_SINKS
from hub.mediation import install as install_mediation
from hub.mediation import mediation_routes
from hub.mediation.service import case_staff
from hub.nodelink.routes import NODELINK, NodeLink
from hub.nodelink.routes import routes as nodelink_routes
from hub.notarization.service import act_staff
from hub.pki import pki_ctx
from hub.schedules import schedule_routes
from hub.seal import install as install_seal
from hub.sessions import routes as session_routes
from hub.sessions.scope import CASE_PEOPLE, CASE_STAFF
from hub.signatures import runtime as signatures_runtime
from hub.signatures.routes import routes as signature_routes
from hub.signatures.steps import routes as signature_step_routes
from hub.signatures.tsa_routes import routes as tsa_routes
from hub.statistics.routes import routes as statistics_routes
from hub.zone import DEFAULT_ZONE, use_zone

__all__ = ["MIGRATIONS", "SPEC", "create_app"]

MIGRATIONS = "hub:migrations"
SPEC = ServiceSpec(
    "hub",
    "Qiaolink hub",
    "0.1.0",
    MIGRATIONS,
    Path(__file__).parent / "templates",
    DEFAULT_ZONE,
)
SETTINGS = web.AppKey("settings", HubSettings)

routes = RouteTable()
routes.extend(signin_routes())
routes.extend(catalogue_routes)
routes.extend(application_routes)
routes.extend(application_pages)
routes.extend(progress_pages)
routes.extend(schedule_routes)
routes.extend(complaint_routes)
routes.extend(complaint_pages)
routes.extend(statistics_routes)
routes.extend(consultation_routes)


@routes.get("/", access=PUBLIC, summary="The hub's front page", tags=("pages",))
async def index(request: web.Request) -> web.Response:
    return request.app[PAGES].render(request, "hub_index.html")


routes.extend(govnet_callback_routes)
routes.extend(govnet_ops_routes)
routes.extend(nodelink_routes)
routes.extend(session_routes.routes)


async def _node_signatures(app: web.Application) -> AsyncIterator[None]:
    """Requests signed with a registered node key authenticate as that node."""
    sessions = app.get(AUTHENTICATOR)
    if sessions is not None:
        app[AUTHENTICATOR] = NodeOrSession(NodeSignatures(app[DB], node_keys, app[CLOCK]), sessions)
    yield


routes.extend(audit_log_routes())
routes.extend(tsa_routes)
routes.extend(signature_routes)
routes.extend(signature_step_routes)
routes.extend(presence.routes)
routes.extend(notarization.notarization_routes)
routes.extend(mediation_routes)


# Where each role starts after signing in from the page (the security matrix admits each).
HOME_PAGES = {
    Role.OFFICER: "/queue",
    Role.NOTARY: "/notary",
    Role.MEDIATOR: "/mediation",
    Role.CONSULTANT: "/consultations/desk",
    Role.SUPERVISOR: "/statistics",
    Role.AUDITOR: "/mediation/audit",
    Role.ADMIN: "/statistics",
}


def create_app(
    settings: HubSettings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    authenticator: Authenticator | None = None,
) -> web.Application:
    use_zone(settings.zone)
    app = build_app(
        SPEC,
        settings,
        routes,
        clock=clock,
        database=database,
        authenticator=authenticator,
        audit=audit_events,
        sessions=staff_sessions,
        extra_cleanup=[_node_signatures],
    )
    app.cleanup_ctx.append(intake_ctx)  # applications opened together share a commit
    app[SIGNIN_TABLES] = signin_tables
    app[SIGNIN_BOX] = service_box(settings.data_dir)  # staff authenticator secrets, sealed
    app[STAFF_LOOKUP] = lookup_staff
    app[ROLE_HOME] = HOME_PAGES
    app[STORE] = MaterialStore(settings.data_dir / "materials")
    app[COMPLAINT_STORE] = MaterialStore(settings.data_dir / "complaints")
    app[SETTINGS] = settings
    app[OFFICE_CONTACT] = OfficeContact(settings.office_phone, settings.office_email)
    install_seal(
        app, settings.data_dir, settings.pki_passphrase_file
    )  # hub CA, TSA and seal key (created on first start)
    govnet_runtime.install(app, settings)  # platform link: keys, relay, reconciliation
    app[STATUS_SINKS].append(ApplicationStatusSink())
    keys = settings.data_dir / "keys"
    app[NODELINK] = NodeLink(load_or_create_x25519_key(keys / "hub-seal.pem"), keys)
    session_routes.setup(app, settings.data_dir)
    app[CASE_STAFF] = {  # who may reach a session: the staff of its case or act
        "notarization": act_staff,
        "mediation": case_staff,
        "evidence": case_staff,
        "consultation": consultation_staff,
    }
    app[CASE_PEOPLE] = {"consultation": consultation_people}  # named on the session page
    auditlog_runtime.install(app, settings)  # Merkle log: key, signed tree heads
    app.cleanup_ctx.append(pki_ctx(settings))  # CA, TSA, seal, staff certificates
    signatures_runtime.install(app, settings)  # TOTP secret box, signed documents
    app[COLLECTORS].append(outbox_collector)
    notarization.install(app, settings)  # certificates' verification links
    presence.install(app, settings)  # bus (Redis or in-process) and this instance's heartbeat
    install_mediation(app, settings)  # agreement PDFs, packages, signing progress
    return app
