"""Identity at the branch: enrol residents from a reference photo, verify them live.

Templates and frames never leave the node; the hub receives only the signed decision.
"""
