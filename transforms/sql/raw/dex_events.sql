-- dex_events: events per read: EA1 (one event with its time), EA2 (event counters), EA7 (power outages).
-- Rows of duplicate reads (see dex_reads) are left out.
CREATE OR REPLACE VIEW dex_events AS
SELECT *
FROM read_parquet({files:dex_events}, union_by_name = true)
WHERE read_id IN (SELECT read_id FROM dex_reads);
