-- fleet_clock: materialized by the derived_marts asset (transforms/derived.py) from
-- transforms/sql/build/fleet_clock.sql once per run; see docs/warehouse.md for its columns.
CREATE OR REPLACE VIEW fleet_clock AS
SELECT * FROM read_parquet({files:marts/fleet_clock}, union_by_name = true);
