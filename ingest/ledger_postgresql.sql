-- The archive's ledger on PostgreSQL (CVD_LEDGER_URL=postgresql+psycopg://...): the same tables
-- as ledger.sql. Keys are compared byte-wise (COLLATE "C"), so a sha256 prefix is an index range.
-- rowid (an ordinary identity column here, named as SQLite's so queries are the same) numbers
-- deliveries in commit order, as writers take one advisory lock: the HTTP sensor's cursor.
CREATE TABLE IF NOT EXISTS deliveries (
    rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    delivery_id   TEXT COLLATE "C" PRIMARY KEY,
    sha256        TEXT COLLATE "C" NOT NULL,
    original_name TEXT NOT NULL,
    size          BIGINT NOT NULL,
    received_at   TEXT NOT NULL,
    received_date TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_day ON deliveries (received_date, delivery_id);
CREATE INDEX IF NOT EXISTS deliveries_by_sha ON deliveries (sha256);

CREATE TABLE IF NOT EXISTS firsts (
    sha256      TEXT COLLATE "C" PRIMARY KEY,
    delivery_id TEXT COLLATE "C" NOT NULL REFERENCES deliveries (delivery_id)
);

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS skipped (
    sha256     TEXT COLLATE "C" PRIMARY KEY,
    reason     TEXT NOT NULL,
    skipped_by TEXT NOT NULL,
    skipped_at TEXT NOT NULL
);
