-- cashless_share_by_machine: materialized by the cash_marts asset (transforms/cash.py, sql/build/cashless_share_by_machine.sql).
CREATE OR REPLACE VIEW cashless_share_by_machine AS
SELECT *
FROM read_parquet({files:marts/cashless_share_by_machine});
