"""Offices (the hub and its branches) and the staff who work in them."""
