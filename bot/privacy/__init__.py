"""Keys and encryption at rest, and the per-user limits kept only in memory."""
