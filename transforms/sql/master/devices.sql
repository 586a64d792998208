-- devices: master data from the operational database, synced at every run (see docs/operations.md).
CREATE OR REPLACE VIEW devices AS
SELECT *
FROM read_parquet({files:master/devices});
