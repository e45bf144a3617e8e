"""The hub's link to the provincial platform (政务网): client, callbacks, reconciliation, ops.

The seam for applications is in :mod:`hub.govnet.service`: ``forward_to_govnet`` and
``StatusSink`` (registered in ``app[STATUS_SINKS]``).
"""
