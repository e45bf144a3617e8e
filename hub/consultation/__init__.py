"""Video consultations (法律/政策咨询) and the public knowledge base of frequent questions."""

from common.web import RouteTable
from hub.consultation.desk import desk_routes
from hub.consultation.kb import kb_routes
from hub.consultation.pages import page_routes
from hub.consultation.routes import routes as api_routes

__all__ = ["consultation_routes"]

consultation_routes = RouteTable()
consultation_routes.extend(api_routes)
consultation_routes.extend(page_routes)
consultation_routes.extend(desk_routes)
consultation_routes.extend(kb_routes)
