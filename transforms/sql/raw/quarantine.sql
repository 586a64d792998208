-- quarantine: files and reads that cannot be used, with a machine-readable reason (read_index
-- is null for a whole file). The bytes stay in the archive; $CVD_HOME/quarantine/<sha256>.json
-- holds every problem the parser reported.
CREATE OR REPLACE VIEW quarantine AS
SELECT *
FROM read_parquet({files:quarantine}, union_by_name = true);
