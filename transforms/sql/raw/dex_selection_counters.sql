-- dex_selection_counters: one row per read and selection (PA1 with its PA2-PA7): price, capacity, counters since
-- initialisation and since reset, test and free vends, sold-out time and count.
-- Rows of duplicate reads (see dex_reads) are left out.
CREATE OR REPLACE VIEW dex_selection_counters AS
SELECT *
FROM read_parquet({files:dex_selection_counters}, union_by_name = true)
WHERE read_id IN (SELECT read_id FROM dex_reads);
