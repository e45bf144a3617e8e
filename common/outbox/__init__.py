"""One outbox for every service: messages commit with the state change and a relay sends them.

``model`` holds the pure retry rules, ``store`` the tables and statements, ``relay`` the loop
that claims due messages, sends them through a :class:`~common.outbox.relay.Sender` and records
the outcome.
"""

from common.outbox.model import MessageState, NextStep, RetryPolicy, SendOutcome
from common.outbox.relay import DeliveryHook, Relay, Sender, hook_by_kind
from common.outbox.store import (
    DeadLetter,
    DestinationStats,
    OutboxMessage,
    accept_once,
    claim_due,
    dead_letters,
    enqueue,
    inbox_table,
    outbox_table,
    queue_stats,
    requeue,
)

__all__ = [
    "DeadLetter",
    "DeliveryHook",
    "DestinationStats",
    "MessageState",
    "NextStep",
    "OutboxMessage",
    "Relay",
    "RetryPolicy",
    "SendOutcome",
    "Sender",
    "accept_once",
    "claim_due",
    "dead_letters",
    "enqueue",
    "hook_by_kind",
    "inbox_table",
    "outbox_table",
    "queue_stats",
    "requeue",
]
