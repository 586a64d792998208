-- cash_by_driver_week: materialized by the cash_marts asset (transforms/cash.py, sql/build/cash_by_driver_week.sql).
CREATE OR REPLACE VIEW cash_by_driver_week AS
SELECT *
FROM read_parquet({files:marts/cash_by_driver_week});
