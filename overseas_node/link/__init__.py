"""The node's link to the hub: watching the hub's audit log (and, later, the outbox)."""
