-- fct_daily_sales: materialized by the derived_marts asset (transforms/derived.py) from
-- transforms/sql/build/fct_daily_sales.sql once per run; see docs/warehouse.md for its columns.
CREATE OR REPLACE VIEW fct_daily_sales AS
SELECT * FROM read_parquet({files:marts/fct_daily_sales}, union_by_name = true);
