-- slot_status: materialized by the derived_marts asset (transforms/derived.py) from
-- transforms/sql/build/slot_status.sql once per run; see docs/warehouse.md for its columns.
CREATE OR REPLACE VIEW slot_status AS
SELECT * FROM read_parquet({files:marts/slot_status}, union_by_name = true);
