-- service_scores: per machine, the service score from the weighted rules, whether it needs a visit and the date the forecast says it will.
CREATE OR REPLACE VIEW service_scores AS
SELECT *
FROM read_parquet({files:ml/service_scores}, union_by_name = true);
