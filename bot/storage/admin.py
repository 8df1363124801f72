"""SQL for staff: the roles owners grant, the audit trail, and the daily count of refusals to strangers.

Staff actions are stamped to the second; strangers are only counted per day and permission, never named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.database import Database, now_iso, today_iso


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor_id: int
    action: str
    target: str | None
    before: str | None  # JSON
    after: str | None  # JSON


class AdminStore:
    def __init__(self, store: Database) -> None:
        self.store = store

    async def roles(self, user_id: int) -> set[str]:
        rows = await self.store.fetchall("SELECT role FROM admin_roles WHERE user_id = ?", (user_id,))
        return {row["role"] for row in rows}

    async def add_role(self, user_id: int, role: str, granted_by: int) -> None:
        await self.store.write(
            "INSERT INTO admin_roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)",
            (user_id, role, granted_by, now_iso()),
        )

    async def remove_role(self, user_id: int, role: str) -> None:
        await self.store.write("DELETE FROM admin_roles WHERE user_id = ? AND role = ?", (user_id, role))

    async def members(self) -> list[tuple[int, str]]:
        rows = await self.store.fetchall("SELECT user_id, role FROM admin_roles ORDER BY user_id, role")
        return [(row["user_id"], row["role"]) for row in rows]

    async def add_audit(
        self, actor_id: int, action: str, target: str | None = None, before: Any = None, after: Any = None
    ) -> None:
        """`before` and `after` are stored as JSON (None stays NULL)."""

        def dump(value: Any) -> str | None:
            return None if value is None else json.dumps(value, ensure_ascii=False)

        await self.store.write(
            "INSERT INTO audit (at, actor_id, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)",
            (now_iso(), actor_id, action, target, dump(before), dump(after)),
        )

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        rows = await self.store.fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(**dict(row)) for row in rows]

    async def count_denied(self, permission: str) -> None:
        """One more refusal today for `permission`, of someone who is not staff."""
        await self.store.write(
            "INSERT INTO denied (day, permission, n) VALUES (?, ?, 1) "
            "ON CONFLICT (day, permission) DO UPDATE SET n = denied.n + 1",
            (today_iso(), permission),
        )

    async def denied_counts(self, limit: int) -> list[tuple[str, str, int]]:
        """(day, permission, refusals), newest day first."""
        rows = await self.store.fetchall("SELECT day, permission, n FROM denied ORDER BY day DESC LIMIT ?", (limit,))
        return [(row["day"], row["permission"], row["n"]) for row in rows]
