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
    # 2: anonymous tips. No column holds a Telegram id: drafts are keyed by a keyed hash of the user; reports
    # have no link to the draft or the user; free text is sealed (bot/privacy/crypto.py); dates are days, not instants.
    """
    CREATE TABLE tip_drafts (
        user_key TEXT PRIMARY KEY,
        updated_at TEXT NOT NULL,
        body BLOB NOT NULL
    );
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        public_no TEXT NOT NULL UNIQUE,
        locator TEXT NOT NULL,
        code_hash BLOB NOT NULL,
        submitted_on TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('baru', 'diverifikasi', 'diteruskan', 'selesai', 'ditolak')),
        status_on TEXT NOT NULL,
        category TEXT NOT NULL,
        election TEXT NOT NULL,
        province TEXT NOT NULL,
        body BLOB,
        purged_on TEXT
    );
    CREATE INDEX reports_locator ON reports (locator);
    CREATE INDEX reports_status ON reports (status, status_on);
    CREATE TABLE report_events (
        id INTEGER PRIMARY KEY,
        report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        on_date TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('status', 'note', 'question', 'reply', 'evidence')),
        status TEXT,
        public INTEGER NOT NULL,
        body BLOB
    );
    CREATE INDEX report_events_report ON report_events (report_id);
    CREATE TABLE evidence (
        id INTEGER PRIMARY KEY,
        report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        added_on TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('photo', 'document', 'video', 'link')),
        mime TEXT,
        size INTEGER,
        file TEXT,
        body BLOB
    );
    CREATE INDEX evidence_report ON evidence (report_id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        report_id INTEGER REFERENCES reports (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at TEXT,
        body BLOB
    );
    CREATE INDEX outbox_due ON outbox (sent_at, due_at);
    """,
    # 3: admins. Owners come from ADMIN_IDS; the roles they grant, and every admin action, are kept here.
    # These are staff ids, never a reporter's.
    """
    CREATE TABLE admin_roles (
        user_id INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('editor', 'reviewer')),
        granted_by INTEGER NOT NULL,
        granted_at TEXT NOT NULL,
        PRIMARY KEY (user_id, role)
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        before TEXT,
        after TEXT
    );
    CREATE INDEX audit_at ON audit (at);
    """,
    # 4: what editors did with questions nobody could answer: phrasings taught to a rule, and questions dismissed
    """
    CREATE TABLE learned_phrasings (
        id INTEGER PRIMARY KEY,
        rule_id TEXT NOT NULL,
        text TEXT NOT NULL,
        added_by INTEGER NOT NULL,
        added_at TEXT NOT NULL
    );
    ALTER TABLE questions ADD COLUMN reviewed TEXT CHECK (reviewed IN ('attached', 'dismissed'));
    """,
    # 5: rules as revisions. The YAML in knowledge/ seeds an empty table; after that every edit, rollback,
    # retirement and import adds a revision (the rule as JSON in the YAML schema). MAX(id) is the knowledge
    # version a running bot polls. Phrasings taught through /unanswered become revisions too (bot/editing/rules.py).
    """
    CREATE TABLE rule_revisions (
        id INTEGER PRIMARY KEY,
        rule_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        body TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        note TEXT,
        UNIQUE (rule_id, revision)
    );
    """,
    # 6: anonymity that survives a copy of DATA_DIR (bot/privacy/keys.py). A sealed key-check value; evidence in the
    # database rather than in files whose times mark the upload; no language
    # choices kept per user (they live in memory only); days, not instants, for drafts, questions, votes and
    # notices; a notice row is deleted once delivered; one vote per question; refused admin commands from
    # non-staff counted per day, not audited by id; no text of reviewers' notes or of questions in the audit.
    """
    CREATE TABLE key_check (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        scheme INTEGER NOT NULL,
        value BLOB NOT NULL
    );
    DELETE FROM user_settings;
    DROP TABLE user_settings;
    ALTER TABLE tip_drafts RENAME COLUMN updated_at TO updated_on;
    UPDATE tip_drafts SET updated_on = substr(updated_on, 1, 10);
    CREATE TABLE outbox_new (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        report_id INTEGER REFERENCES reports (id) ON DELETE CASCADE,
        created_on TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    INSERT INTO outbox_new (id, kind, report_id, created_on, attempts, last_error)
        SELECT id, kind, report_id, substr(created_at, 1, 10), attempts, last_error FROM outbox WHERE sent_at IS NULL;
    DROP TABLE outbox;
    ALTER TABLE outbox_new RENAME TO outbox;
    UPDATE questions SET asked_at = substr(asked_at, 1, 10);
    UPDATE votes SET voted_at = substr(voted_at, 1, 10);
    DELETE FROM votes WHERE question_id IS NOT NULL
        AND id NOT IN (SELECT MIN(id) FROM votes WHERE question_id IS NOT NULL GROUP BY question_id);
    CREATE UNIQUE INDEX votes_question ON votes (question_id) WHERE question_id IS NOT NULL;
    CREATE TABLE denied (
        day TEXT NOT NULL,
        permission TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, permission)
    );
    DELETE FROM audit WHERE action = 'denied';
    UPDATE audit SET after = NULL WHERE action IN ('tips.note', 'tips.ask');
    -- evidence files move into the database (bot/tips/evidence.py takes in the old folder at start-up)
    CREATE TABLE evidence_files (
        name TEXT PRIMARY KEY,
        body BLOB NOT NULL
    );
    -- copies of question text outlived the question's retention: the audit counts, votes point to the question
    UPDATE audit SET after = NULL WHERE action IN ('unanswered.attach', 'unanswered.dismiss');
    UPDATE votes SET query = NULL;
    """,
    # 7: the rule a user opened from the list under an unanswered question, and whether they then said 👍:
    # /unanswered suggests the first and leaves out the questions the second resolved
    """
    ALTER TABLE questions ADD COLUMN picked TEXT;
    ALTER TABLE questions ADD COLUMN resolved INTEGER NOT NULL DEFAULT 0;
    """,
]
