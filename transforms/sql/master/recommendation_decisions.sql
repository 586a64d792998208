-- recommendation_decisions: every verdict on a planogram recommendation, from the operational
-- database (synced at every run; docs/operations.md). Accepted ones are followed up by
-- recommendation_outcomes.
CREATE OR REPLACE VIEW recommendation_decisions AS
SELECT *
FROM read_parquet({files:master/recommendation_decisions});
