-- fct_cash_collections: materialized by the cash_marts asset (transforms/cash.py, sql/build/fct_cash_collections.sql).
CREATE OR REPLACE VIEW fct_cash_collections AS
SELECT *
FROM read_parquet({files:marts/fct_cash_collections});
