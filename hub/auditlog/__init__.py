"""The hub's tamper-evident audit log and the stores of the signing library's ports."""
