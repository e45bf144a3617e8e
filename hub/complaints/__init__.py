"""Complaints and petitions (信访投诉): lodging, acceptance, signed replies, reviews."""
