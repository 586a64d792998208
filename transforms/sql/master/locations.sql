-- locations: master data from the operational database, synced at every run (see docs/operations.md).
CREATE OR REPLACE VIEW locations AS
SELECT *
FROM read_parquet({files:master/locations});
