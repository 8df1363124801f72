"""Who may do what among admins, and the audit trail of everything they do.

Owners are the ADMIN_IDS of the settings; they grant `editor` (rules, unanswered questions) and `reviewer`
(tips) to other Telegram users by id. Every check happens on the server for each command and button, and
refusals are audited too. Admin ids are staff ids; no reporter is ever named here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.sqlite import SqliteStore, now_iso, today_iso

ROLES = ("editor", "reviewer")
PERMISSIONS = {
    "rules": ("editor",),
    "unanswered": ("editor",),
    "tips": ("reviewer",),
    "stats": ("editor", "reviewer"),
    "roles": (),  # owners only
    "audit": (),
}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor_id: int
    action: str
    target: str | None
    before: str | None
    after: str | None


class AdminService:
    def __init__(self, store: SqliteStore, owners: frozenset[int]) -> None:
        self.store = store
        self.owners = owners

    async def roles(self, user_id: int) -> set[str]:
        if user_id in self.owners:
            return {"owner", *ROLES}
        rows = await self.store.fetchall("SELECT role FROM admin_roles WHERE user_id = ?", (user_id,))
        return {row["role"] for row in rows}

    async def allowed(self, user_id: int, permission: str) -> bool:
        roles = await self.roles(user_id)
        return "owner" in roles or bool(roles & set(PERMISSIONS[permission]))

    async def is_admin(self, user_id: int) -> bool:
        return bool(await self.roles(user_id))

    async def grant(self, owner_id: int, user_id: int, role: str) -> bool:
        """False if the user already had the role."""
        if role not in ROLES:
            raise ValueError(role)
        before = sorted(await self.roles(user_id))
        if role in before:
            return False
        await self.store.write(
            "INSERT INTO admin_roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)",
            (user_id, role, owner_id, now_iso()),
        )
        await self.audit(owner_id, "grant", str(user_id), before, sorted(await self.roles(user_id)))
        return True

    async def revoke(self, owner_id: int, user_id: int, role: str) -> bool:
        before = sorted(await self.roles(user_id))
        if role not in before or user_id in self.owners:
            return False
        await self.store.write("DELETE FROM admin_roles WHERE user_id = ? AND role = ?", (user_id, role))
        await self.audit(owner_id, "revoke", str(user_id), before, sorted(await self.roles(user_id)))
        return True

    async def members(self) -> list[tuple[int, str]]:
        rows = await self.store.fetchall("SELECT user_id, role FROM admin_roles ORDER BY user_id, role")
        return [(row["user_id"], row["role"]) for row in rows]

    async def audit(
        self, actor_id: int, action: str, target: str | None = None, before: Any = None, after: Any = None
    ) -> None:
        def dump(value: Any) -> str | None:
            return None if value is None else json.dumps(value, ensure_ascii=False)

        await self.store.write(
            "INSERT INTO audit (at, actor_id, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)",
            (now_iso(), actor_id, action, target, dump(before), dump(after)),
        )

    async def denied(self, user_id: int, permission: str) -> None:
        if await self.is_admin(user_id):
            await self.audit(user_id, "denied", permission)
            return
        await self.store.write(
            "INSERT INTO denied (day, permission, n) VALUES (?, ?, 1) "
            "ON CONFLICT (day, permission) DO UPDATE SET n = n + 1",
            (today_iso(), permission),
        )

    async def denied_counts(self, days: int = 7) -> list[tuple[str, str, int]]:
        rows = await self.store.fetchall("SELECT day, permission, n FROM denied ORDER BY day DESC LIMIT ?", (days * 8,))
        return [(row["day"], row["permission"], row["n"]) for row in rows]

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        rows = await self.store.fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(**dict(row)) for row in rows]
