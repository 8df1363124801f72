"""Who may do what among admins, and the audit trail of everything they do.

Owners are the ADMIN_IDS of the settings; they grant `editor` (rules, unanswered questions) and `reviewer`
(tips) to other Telegram users by id. Every check happens on the server for each command and button, and
refusals are audited too. Admin ids are staff ids; no reporter is ever named here.
"""

from __future__ import annotations

from typing import Any

from bot.storage.admin import AdminStore, AuditEntry
from bot.storage.database import Database

ROLES = ("editor", "reviewer")
PERMISSIONS = {
    "rules": ("editor",),
    "unanswered": ("editor",),
    "tips": ("reviewer",),
    "stats": ("editor", "reviewer"),
    "staff": ("editor", "reviewer"),  # /admin: any role
    "roles": (),  # owners only
    "audit": (),
}


class AdminService:
    def __init__(self, store: Database, owners: frozenset[int]) -> None:
        self.staff = AdminStore(store)
        self.owners = owners

    async def roles(self, user_id: int) -> set[str]:
        if user_id in self.owners:
            return {"owner", *ROLES}
        return await self.staff.roles(user_id)

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
        await self.staff.add_role(user_id, role, owner_id)
        await self.audit(owner_id, "grant", str(user_id), before, sorted(await self.roles(user_id)))
        return True

    async def revoke(self, owner_id: int, user_id: int, role: str) -> bool:
        before = sorted(await self.roles(user_id))
        if role not in before or user_id in self.owners:
            return False
        await self.staff.remove_role(user_id, role)
        await self.audit(owner_id, "revoke", str(user_id), before, sorted(await self.roles(user_id)))
        return True

    async def members(self) -> list[tuple[int, str]]:
        return await self.staff.members()

    async def audit(
        self, actor_id: int, action: str, target: str | None = None, before: Any = None, after: Any = None
    ) -> None:
        await self.staff.add_audit(actor_id, action, target, before, after)

    async def denied(self, user_id: int, permission: str) -> None:
        if await self.is_admin(user_id):
            await self.audit(user_id, "denied", permission)
            return
        await self.staff.count_denied(permission)

    async def denied_counts(self, days: int = 7) -> list[tuple[str, str, int]]:
        return await self.staff.denied_counts(days * 8)

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        return await self.staff.recent_audit(limit)
