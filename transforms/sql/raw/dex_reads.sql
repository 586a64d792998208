-- dex_reads: one row per usable read. A read of the same machine at the same machine time that
-- came again in other bytes (a re-export, a handheld upload of a telemetry read) is kept once:
-- the first received wins, so arrival order never changes which reads exist.
CREATE OR REPLACE VIEW dex_reads AS
SELECT * EXCLUDE (duplicate_rank)
FROM (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY machine_serial, coalesce(CAST(read_at AS VARCHAR), read_id)
            ORDER BY received_at, sha256, read_index
        ) AS duplicate_rank
    FROM read_parquet({files:dex_reads}, union_by_name = true)
)
WHERE duplicate_rank = 1;
