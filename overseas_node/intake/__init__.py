"""Intake at the branch: a copy of the catalogue, applications taken in offline, the link to
the hub that delivers them and brings their status back."""
