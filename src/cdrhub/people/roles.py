"""Roles and scopes: who may see and do what.

admin: everything, users and settings. manager: everything within a scope of queues and
departments (or all). agent: their own callbacks and calls, and timelines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ROLES = ("admin", "manager", "agent")


class UnknownRole(ValueError):
    pass


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UnknownRole(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


@dataclass(frozen=True)
class Scope:
    """The queues and departments a user sees; None means all of them."""

    queues: frozenset[str] | None = None
    departments: frozenset[str] | None = None

    @classmethod
    def of(cls, queues: Sequence[str] | None, departments: Sequence[str] | None) -> Scope:
        return cls(
            frozenset(queues) if queues is not None else None,
            frozenset(departments) if departments is not None else None,
        )

    @property
    def everything(self) -> bool:
        return self.queues is None and self.departments is None

    def covers(self, queue: str | None, department: str | None) -> bool:
        """Whether a call or callback item of this queue and department is in scope: a scope
        limited by queues covers the items of those queues, one limited by departments the
        items of those departments; limited by both, either will do."""
        if self.everything:
            return True
        in_queues = self.queues is not None and queue is not None and queue in self.queues
        in_departments = (
            self.departments is not None
            and department is not None
            and department in self.departments
        )
        return in_queues or in_departments
