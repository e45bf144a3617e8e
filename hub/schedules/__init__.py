"""Schedules that shift with time zones: desks, slots, bookings, reminders, calendars."""

from common.web import RouteTable
from hub.schedules.pages import page_routes
from hub.schedules.routes import api_routes

__all__ = ["schedule_routes"]

schedule_routes = RouteTable()
schedule_routes.extend(api_routes)
schedule_routes.extend(page_routes)
