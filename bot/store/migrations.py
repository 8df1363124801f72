"""Versioned schema changes, applied in order at start-up; never edit one that has shipped, add the next."""

MIGRATIONS: list[str] = [
    # 1: questions asked (no user id), votes on answers, and per-user settings keyed by a keyed hash
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        asked_at TEXT NOT NULL,
        query TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('answer', 'ambiguous', 'none')),
        rule_id TEXT,
        confidence REAL NOT NULL,
        lang TEXT NOT NULL
    );
    CREATE INDEX questions_asked_at ON questions (asked_at);
    CREATE INDEX questions_status ON questions (status);
    CREATE TABLE votes (
        id INTEGER PRIMARY KEY,
        voted_at TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        question_id INTEGER REFERENCES questions (id) ON DELETE SET NULL,
        query TEXT,
        vote INTEGER NOT NULL CHECK (vote IN (-1, 1))
    );
    CREATE INDEX votes_rule ON votes (rule_id);
    CREATE TABLE user_settings (
        user_key TEXT PRIMARY KEY,
        lang TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
]
