-- fct_slot_sales: one row per machine, selection and interval between two consecutive usable
-- reads (machine clock), materialized by month of the end read (transforms/marts.py,
-- model sql/build/fct_slot_sales.sql). Money is the difference of the value counters.
CREATE OR REPLACE VIEW fct_slot_sales AS
SELECT * EXCLUDE (selection_key), selection_key
FROM read_parquet({files:marts/fct_slot_sales}, union_by_name = true);
