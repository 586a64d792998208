-- The archive's ledger: which file arrived when, under which name, holding which bytes.
-- One row per delivery (a file taken from the inbox); the bytes are archive/<sha[:2]>/<sha>.dex.
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id   TEXT PRIMARY KEY,  -- stable for one inbox file across reruns
    sha256        TEXT NOT NULL,     -- the bytes received
    original_name TEXT NOT NULL,     -- path relative to the inbox
    size          INTEGER NOT NULL,  -- bytes
    received_at   TEXT NOT NULL,     -- ISO 8601, UTC
    received_date TEXT NOT NULL      -- YYYY-MM-DD: the arrival day (a lake partition)
);
CREATE INDEX IF NOT EXISTS deliveries_by_day ON deliveries (received_date, delivery_id);

-- The first delivery of each distinct content; later deliveries of the same bytes are duplicates.
CREATE TABLE IF NOT EXISTS firsts (
    sha256      TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries (delivery_id)
);

-- Facts about the ledger itself (e.g. that an older archive's JSON records were imported).
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Contents an operator excluded (`cvd quarantine skip`): still archived, never deleted, but the
-- raw tables list their deliveries as skipped instead of parsing them. Unskip deletes the row.
CREATE TABLE IF NOT EXISTS skipped (
    sha256     TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    skipped_by TEXT NOT NULL,     -- the OS user who ran the command
    skipped_at TEXT NOT NULL      -- ISO 8601, UTC
);
