-- planogram_slots: master data from the operational database, synced at every run (see docs/operations.md).
CREATE OR REPLACE VIEW planogram_slots AS
SELECT *
FROM read_parquet({files:master/planogram_slots});
