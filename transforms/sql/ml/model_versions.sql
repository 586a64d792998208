-- model_versions: every trained forecast model with its training window, data fingerprint, library versions, scores against the baselines and whether it is current.
CREATE OR REPLACE VIEW model_versions AS
SELECT *
FROM read_parquet({files:ml/model_versions}, union_by_name = true);
