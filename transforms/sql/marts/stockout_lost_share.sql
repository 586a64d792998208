-- stockout_lost_share: materialized by the derived_marts asset (transforms/derived.py) from
-- transforms/sql/build/stockout_lost_share.sql once per run; see docs/warehouse.md for its columns.
CREATE OR REPLACE VIEW stockout_lost_share AS
SELECT * FROM read_parquet({files:marts/stockout_lost_share}, union_by_name = true);
