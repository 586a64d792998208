-- fct_stockouts: materialized by the derived_marts asset (transforms/derived.py) from
-- transforms/sql/build/fct_stockouts.sql once per run; see docs/warehouse.md for its columns.
CREATE OR REPLACE VIEW fct_stockouts AS
SELECT * FROM read_parquet({files:marts/fct_stockouts}, union_by_name = true);
