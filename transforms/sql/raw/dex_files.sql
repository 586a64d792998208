-- dex_files: one row per file received (a delivery), with what became of it.
-- status: loaded | partial (some reads quarantined) | quarantined | duplicate (same bytes as an
-- earlier delivery) | duplicate_reads (every usable read was already known from another file)
-- | skipped (an operator excluded the content: `cvd quarantine skip`; reason: theirs).
CREATE OR REPLACE VIEW dex_files AS
WITH files AS (
    SELECT * FROM read_parquet({files:dex_files}, union_by_name = true)
),
kept AS (SELECT sha256, count(*) AS kept_reads FROM dex_reads GROUP BY sha256)
SELECT
    f.delivery_id,
    f.sha256,
    f.original_name,
    f.size,
    f.received_at,
    CASE
        WHEN f.status IN ('loaded', 'partial') AND coalesce(k.kept_reads, 0) = 0
            THEN 'duplicate_reads'
        ELSE f.status
    END AS status,
    CASE
        WHEN f.status IN ('loaded', 'partial') AND coalesce(k.kept_reads, 0) = 0
            THEN 'every read already known from another file'
        ELSE f.reason
    END AS reason,
    f.reads,
    f.usable_reads
FROM files AS f
LEFT JOIN kept AS k USING (sha256);
