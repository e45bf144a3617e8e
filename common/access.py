"""Who may call a route: every route declares roles and a scope; nothing is implicit."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["PUBLIC", "Access", "Principal", "Role", "Scope", "allow"]


class Role(StrEnum):
    RESIDENT = "resident"
    CLERK = "clerk"
    OFFICER = "officer"
    NOTARY = "notary"
    MEDIATOR = "mediator"
    CONSULTANT = "consultant"  # a lawyer of the legal advisory committee (法律顾问委员会)
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    NODE = "node"  # an overseas node calling the hub with its own key
    HUB = "hub"  # the hub calling a node or the platform
    PLATFORM = "platform"  # the provincial platform calling back


class Scope(StrEnum):
    PUBLIC = "public"  # anyone, no sign-in
    ANY = "any"  # every record of the service
    OWN_BRANCH = "own_branch"  # records of the caller's branch only
    ASSIGNED = "assigned"  # records assigned to the caller only
    OWN = "own"  # the caller's own records (residents)


@dataclass(frozen=True)
class Access:
    roles: frozenset[Role]
    scope: Scope
    read_only: bool = False

    @property
    def public(self) -> bool:
        return self.scope is Scope.PUBLIC

    def admits(self, principal: Principal | None) -> bool:
        if self.public:
            return True
        return principal is not None and principal.role in self.roles


PUBLIC = Access(frozenset(), Scope.PUBLIC, read_only=True)


def allow(*roles: Role, scope: Scope = Scope.ANY, read_only: bool = False) -> Access:
    if not roles:
        raise ValueError("a non-public route names at least one role")
    return Access(frozenset(roles), scope, read_only)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    subject: str
    role: Role
    branch: str | None = None
    display_name: str = ""
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
