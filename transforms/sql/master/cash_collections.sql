-- cash_collections: the operational database's cash collections (what the driver counted, the
-- manager's reconciliation), synced at every run (transforms/cash.py); money in minor units.
CREATE OR REPLACE VIEW cash_collections AS
SELECT *
FROM read_parquet({files:master/cash_collections});
