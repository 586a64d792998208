-- machine_health: materialized by the derived_marts asset (transforms/derived.py) from
-- transforms/sql/build/machine_health.sql once per run; see docs/warehouse.md for its columns.
CREATE OR REPLACE VIEW machine_health AS
SELECT * FROM read_parquet({files:marts/machine_health}, union_by_name = true);
