"""Plumbing shared by the hub, the overseas node and the platform simulator."""
