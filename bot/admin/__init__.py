"""Staff: roles and the audit trail, and the statistics admins read."""
