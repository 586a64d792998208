-- revenue_per_machine_day: materialized by the derived_marts asset (transforms/derived.py) from
-- transforms/sql/build/revenue_per_machine_day.sql once per run; see docs/warehouse.md.
CREATE OR REPLACE VIEW revenue_per_machine_day AS
SELECT * FROM read_parquet({files:marts/revenue_per_machine_day}, union_by_name = true);
